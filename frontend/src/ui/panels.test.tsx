// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Prediction } from '../domain/api-types';
import type { CockpitController } from '../domain/controller';
import { createCockpitStore, type CockpitState } from '../domain/store';
import { AIExplanationPanel } from './AIExplanationPanel';
import { CockpitContext } from './context';
import { FlowPanel } from './FlowPanel';
import { SidePredictionPanel } from './SidePredictionPanel';

const pred: Prediction = {
  asset: 'BTC', horizon_hours: 4, t_ms: Date.UTC(2025, 8, 1), close: 100, p_up: 0.63, p_down: 0.37, expected_move: 0.008, volatility: 0.015,
  cone: [{ t_ms: 0, mid: 100, upper: 100, lower: 100, upper2: 100, lower2: 100 }, { t_ms: 1, mid: 101, upper: 103, lower: 99, upper2: 105, lower2: 97 }],
  confidence: 'medium', regime: 'trending', model_version: 'BTCUSDT-20250901T000000Z', stale: true, simulated: true,
};

function mount(ui: React.ReactNode, over: Partial<CockpitState>) {
  const store = createCockpitStore(over);
  const controller = { loadPrediction: vi.fn(async () => {}) } as unknown as CockpitController;
  render(<CockpitContext.Provider value={{ store, controller, replayFrom: () => null, setReplayFrom: () => {} }}>{ui}</CockpitContext.Provider>);
  return { store, controller };
}

afterEach(cleanup);

describe('SidePredictionPanel', () => {
  it('shows the numbers, regime, version and the simulated and stale badges', () => {
    mount(<SidePredictionPanel />, { prediction: pred, predictionState: 'ok' });
    expect(screen.getByTestId('p-up').textContent).toBe('P(up) 0.63');
    expect(screen.getByText('P(down) 0.37')).toBeTruthy();
    expect(screen.getByText('+0.80%')).toBeTruthy();
    expect(screen.getByText('1.50%')).toBeTruthy();
    expect(screen.getByText('trending')).toBeTruthy();
    expect(screen.getByText('BTCUSDT-20250901T000000Z')).toBeTruthy();
    expect(screen.getByTestId('simulated-badge').textContent).toBe('SIMULATED DATA');
    expect(screen.getByTestId('stale-badge')).toBeTruthy();
  });
  it('503 PREDICTION_UNAVAILABLE reads "model not ready" with its retry', () => {
    const { controller } = mount(<SidePredictionPanel />, { predictionState: 'unavailable', predictionError: 'no model yet', retryAfterS: 30 });
    expect(screen.getByTestId('model-not-ready').textContent).toMatch(/Model not ready.*no model yet.*30 s/);
    fireEvent.click(screen.getByText('Retry now'));
    expect(controller.loadPrediction).toHaveBeenCalledTimes(1);
  });
  it('shows the model drift score with its reading, or a dash with why there is none', () => {
    mount(<SidePredictionPanel />, { prediction: pred, predictionState: 'ok', modelDrift: { score: 6.71, minutes: 1440, worst_feature: 'volatility_24h', worst_psi: 8.2 } });
    const dd = screen.getByTestId('model-drift');
    expect(dd.textContent).toBe('6.71 (shift)'); // above 6.6: the measured levels (docs/ALERTS.md)
    expect(dd.getAttribute('title')).toMatch(/last 24 h vs training; largest: volatility_24h 8.20/);
    cleanup();
    mount(<SidePredictionPanel />, { prediction: pred, predictionState: 'ok', modelDrift: { score: null, minutes: 12 } });
    expect(screen.getByTestId('model-drift').textContent).toBe('—');
    expect(screen.getByTestId('model-drift').getAttribute('title')).toMatch(/12 of 60 minutes/);
  });
  it('a real prediction has no simulated badge', () => {
    mount(<SidePredictionPanel />, { prediction: { ...pred, simulated: false, stale: false }, predictionState: 'ok' });
    expect(screen.queryByTestId('simulated-badge')).toBeNull();
    expect(screen.queryByTestId('stale-badge')).toBeNull();
  });
});

describe('FlowPanel', () => {
  it('says "no source configured" for a null flow and shows a configured one', () => {
    mount(<FlowPanel />, { extras: { liqClusters: [], levels: [], volumeProfile: [], flows: { whale: null, stablecoin: { t: [1, 2], v: [5, -2000], source: 'defillama', updated_ms: Date.now() - 120_000, stale: false }, exchange_netflow: null } } });
    expect(screen.getAllByTestId('no-source').length).toBe(2);
    expect(screen.getByText(/last -2.00k/)).toBeTruthy();
    expect(screen.getByTestId('flow-source-stablecoin').textContent).toBe('defillama · updated 2 min ago');
    expect(screen.getByTestId('flow-chart-stablecoin').querySelectorAll('rect').length).toBe(2);
    expect(screen.queryByTestId('flow-stale-stablecoin')).toBeNull();
  });
  it('a stale source is marked, whale flows draw in and out', () => {
    mount(<FlowPanel />, { extras: { liqClusters: [], levels: [], volumeProfile: [], flows: { whale: { t: [0, 3_600_000], v: [1, -1], in: [3, 1], out: [2, 2], source: 'whale_alert', updated_ms: 0, stale: true }, stablecoin: null, exchange_netflow: null } } });
    expect(screen.getByTestId('flow-stale-whale')).toBeTruthy();
    expect(screen.getByTestId('flow-chart-whale').querySelectorAll('rect.flow-up').length).toBe(2);
    expect(screen.getByTestId('flow-chart-whale').querySelectorAll('rect.flow-down').length).toBe(2);
  });
  it('no flows object at all: every flow says so', () => {
    mount(<FlowPanel />, {});
    expect(screen.getAllByTestId('no-source').length).toBe(3);
  });
});

describe('AIExplanationPanel', () => {
  it('shows the belief, the reasons as bars (largest first) and what changed', () => {
    mount(<AIExplanationPanel />, {
      hoverT: pred.t_ms as never, explainState: 'ok',
      explanation: { asset: 'BTC', horizon_hours: 4, t_ms: pred.t_ms, p_up: 0.55, model_version: 'v1', base_value: 0,
        reasons: [{ name: 'momentum', contribution: 0.01, features: ['returns_1h'] }, { name: 'funding skew', contribution: -0.05, features: ['funding_rate'] }],
        contributions: [], changes: [{ feature: 'cvd_1h', from: -0.02, to: 0.05, shap_delta: 0.04 }] },
    });
    expect(screen.getByTestId('explain-belief').textContent).toContain('P(up) 0.55');
    const names = [...document.querySelectorAll('.reason .name')].map((e) => e.textContent);
    expect(names).toEqual(['funding skew', 'momentum']);
    const fill = document.querySelector('.reason .fill.neg') as HTMLElement;
    expect(fill.style.width).toBe('50%');
    expect(screen.getByText('cvd_1h')).toBeTruthy();
    expect(screen.queryByTestId('no-edge')).toBeNull();
  });

  it('says when a horizon has no directional edge (P(up) is the base rate)', () => {
    mount(<AIExplanationPanel />, {
      hoverT: pred.t_ms as never, explainState: 'ok',
      explanation: { asset: 'BTC', horizon_hours: 8, t_ms: pred.t_ms, p_up: 0.51, model_version: 'v1', base_value: 0,
        reasons: [], contributions: [], changes: [], direction_model_used: false, direction_weight: 0 },
    });
    expect(screen.getByTestId('no-edge').textContent).toContain('No directional edge at 8 h');
  });
});
