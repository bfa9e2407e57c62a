// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CalibrationResponse } from '../domain/calibration';
import type { CockpitController } from '../domain/controller';
import { createCockpitStore } from '../domain/store';
import { CalibrationPanel } from './CalibrationPanel';
import { CockpitContext } from './context';

const answer: CalibrationResponse = {
  asset: 'BTC', symbol: 'BTCUSDT', instrument: 'sim:spot:BTCUSDT', simulated: true, now_ms: 0, window_days: 30,
  horizons: [{
    horizon_hours: 4, predictions: 120, resolved: 100, pending: 20, missing_outcome: 0, targets: { sigma1: 0.683, sigma2: 0.954 },
    coverage: {
      '7d': { days: 7, n: 40, sigma1: 0.7, sigma2: 0.95, in_sigma1: 28, in_sigma2: 38 },
      '30d': { days: 30, n: 100, sigma1: 0.75, sigma2: 0.91, in_sigma1: 75, in_sigma2: 91 },
    },
    daily: [{ day: '2026-12-07', t_ms: 0, n: 100, sigma1: 0.75, sigma2: 0.91 }],
    reliability: { n: 100, up_share: 0.5, brier: 0.26, brier_base: 0.25, bins: Array.from({ length: 10 }, (_, k) => ({ lo: k / 10, hi: (k + 1) / 10, n: k === 5 ? 100 : 0, mean_p: k === 5 ? 0.55 : null, up_share: k === 5 ? 0.5 : null })) },
  }],
};

afterEach(cleanup);

describe('CalibrationPanel', () => {
  it('loads the selected asset and horizon when opened: coverage beside targets, colours, verdict', async () => {
    const calibration = vi.fn(async () => answer);
    const store = createCockpitStore({ asset: 'BTC', horizon: 4 });
    const controller = { api: { calibration } } as unknown as CockpitController;
    render(<CockpitContext.Provider value={{ store, controller, replayFrom: () => null, setReplayFrom: () => {} }}><CalibrationPanel /></CockpitContext.Provider>);
    expect(calibration).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('calibration-toggle'));
    await waitFor(() => expect(screen.getByTestId('calibration-verdict').textContent)
      .toBe('cone too narrow: 2-sigma covered 0.91 of outcomes; no directional edge at 4 h'));
    expect(calibration).toHaveBeenCalledWith({ asset: 'BTC', horizon: 4 }, expect.any(AbortSignal));
    expect(screen.getByTestId('cov-sigma1-7d').textContent).toBe('0.70 n=40');
    expect(screen.getByTestId('cov-sigma1-7d').className).toBe('cal-ok');
    expect(screen.getByTestId('cov-sigma2-30d').className).toBe('cal-off');
    expect(screen.getByTestId('calibration-reliability').querySelectorAll('circle').length).toBe(1);
    store.setState({ horizon: 8 });
    await waitFor(() => expect(calibration).toHaveBeenLastCalledWith({ asset: 'BTC', horizon: 8 }, expect.any(AbortSignal)));
  });
});
