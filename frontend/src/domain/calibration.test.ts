import { describe, expect, it } from 'vitest';
import { calibrationView, coverageStatus, dailyLines, reliabilityPoints, type CalBin, type CalHorizon, type CalibrationResponse } from './calibration';

const bins = (over: Partial<Record<number, Partial<CalBin>>> = {}): CalBin[] =>
  Array.from({ length: 10 }, (_, k) => ({ lo: k / 10, hi: (k + 1) / 10, n: 0, mean_p: null, up_share: null, ...over[k] }));

function horizon(over: Partial<CalHorizon> = {}): CalHorizon {
  return {
    horizon_hours: 4, predictions: 600, resolved: 528, pending: 48, missing_outcome: 0,
    targets: { sigma1: 0.683, sigma2: 0.954 },
    coverage: {
      '30d': { days: 30, n: 528, sigma1: 0.69, sigma2: 0.96, in_sigma1: 364, in_sigma2: 507 },
      '7d': { days: 7, n: 200, sigma1: 0.6, sigma2: 0.95, in_sigma1: 120, in_sigma2: 190 },
    },
    daily: [
      { day: '2026-12-05', t_ms: 0, n: 10, sigma1: 0.7, sigma2: 1 },
      { day: '2026-12-06', t_ms: 1, n: 0, sigma1: null, sigma2: null },
      { day: '2026-12-07', t_ms: 2, n: 5, sigma1: 0.4, sigma2: 0.8 },
    ],
    reliability: { n: 528, up_share: 0.5, brier: 0.24, brier_base: 0.25, bins: bins({ 5: { n: 400, mean_p: 0.55, up_share: 0.5 }, 6: { n: 128, mean_p: 0.62, up_share: 0.7 } }) },
    ...over,
  };
}
const resp = (h: CalHorizon[]): CalibrationResponse => ({
  asset: 'BTC', symbol: 'BTCUSDT', instrument: 'sim:spot:BTCUSDT', simulated: true, now_ms: 0, window_days: 30, horizons: h,
});

describe('coverageStatus', () => {
  it('green within ±0.02 (1σ) and ±0.015 (2σ) of the target, amber outside, none without outcomes', () => {
    expect(coverageStatus(0.703, 0.683, 'sigma1')).toBe('ok');
    expect(coverageStatus(0.704, 0.683, 'sigma1')).toBe('off');
    expect(coverageStatus(0.939, 0.954, 'sigma2')).toBe('ok');
    expect(coverageStatus(0.938, 0.954, 'sigma2')).toBe('off');
    expect(coverageStatus(null, 0.954, 'sigma2')).toBe('none');
  });
});

describe('calibrationView', () => {
  it('cells per window, shortest first, each band beside its target with its count', () => {
    const v = calibrationView(resp([horizon()]), 4)!;
    expect(v.cells.map((c) => [c.window, c.band, c.value, c.target, c.n, c.status])).toEqual([
      ['7d', 'sigma1', 0.6, 0.683, 200, 'off'], ['7d', 'sigma2', 0.95, 0.954, 200, 'ok'],
      ['30d', 'sigma1', 0.69, 0.683, 528, 'ok'], ['30d', 'sigma2', 0.96, 0.954, 528, 'ok'],
    ]);
    expect(v.verdict).toBe('cone calibrated over 30 days');
    expect(v.edge).toBe(true);
  });
  it('judges the whole window, the 2σ band first: too narrow / too wide with the figure', () => {
    const narrow = horizon({ coverage: { '30d': { days: 30, n: 100, sigma1: 0.5, sigma2: 0.912, in_sigma1: 50, in_sigma2: 91 } } });
    expect(calibrationView(resp([narrow]), 4)!.verdict).toBe('cone too narrow: 2-sigma covered 0.91 of outcomes');
    const wide1 = horizon({ coverage: { '30d': { days: 30, n: 100, sigma1: 0.8, sigma2: 0.95, in_sigma1: 80, in_sigma2: 95 } } });
    expect(calibrationView(resp([wide1]), 4)!.verdict).toBe('cone too wide: 1-sigma covered 0.80 of outcomes');
  });
  it('no directional edge when the model\'s Brier is not below the base rate\'s', () => {
    const h = horizon({ horizon_hours: 8, reliability: { ...horizon().reliability, brier: 0.25, brier_base: 0.25 } });
    const v = calibrationView(resp([h]), 8)!;
    expect(v.edge).toBe(false);
    expect(v.verdict).toBe('cone calibrated over 30 days; no directional edge at 8 h');
  });
  it('the daily series starts at the first day with outcomes', () => {
    const empty = { day: '2026-11-08', t_ms: -1, n: 0, sigma1: null, sigma2: null };
    const v = calibrationView(resp([horizon({ daily: [empty, empty, ...horizon().daily] })]), 4)!;
    expect(v.daily.map((d) => d.day)).toEqual(['2026-12-05', '2026-12-06', '2026-12-07']);
  });
  it('nothing resolved yet says so; an absent horizon is null', () => {
    const none = horizon({ resolved: 0, coverage: { '7d': { days: 7, n: 0, sigma1: null, sigma2: null, in_sigma1: 0, in_sigma2: 0 } }, reliability: { n: 0, up_share: null, brier: null, brier_base: null, bins: bins() } });
    const v = calibrationView({ ...resp([none]), window_days: 7 }, 4)!;
    expect(v.verdict).toBe('no outcomes resolved yet at 4 h');
    expect(v.edge).toBeNull();
    expect(v.cells.map((c) => c.status)).toEqual(['none', 'none']);
    expect(calibrationView(resp([horizon()]), 24)).toBeNull();
  });
});

describe('drawing coordinates', () => {
  const box = { w: 120, h: 60, pad: 10 };
  it('daily lines break at a day without outcomes; the target is a y in the box', () => {
    const { runs, targetY } = dailyLines(horizon().daily, 'sigma2', 0.954, box);
    expect(runs).toEqual(['10.0,10.0', '110.0,18.0']);
    expect(targetY).toBeCloseTo(10 + 0.046 * 40, 9);
  });
  it('reliability points sit at (mean p_up, up share), empty bins left out, radius by count', () => {
    const pts = reliabilityPoints(horizon().reliability.bins, { w: 110, h: 110, pad: 5 });
    expect(pts.map((p) => [p.cx, p.cy, p.n])).toEqual([[5 + 0.55 * 100, 5 + 0.5 * 100, 400], [5 + 0.62 * 100, 5 + 0.3 * 100, 128]]);
    expect(pts[0]!.r).toBeGreaterThan(pts[1]!.r);
    expect(pts[0]!.r).toBeLessThanOrEqual(6);
  });
});
