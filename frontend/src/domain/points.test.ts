import { describe, expect, it } from 'vitest';
import type { Prediction } from './api-types';
import { coneToPoints, liqAt, toCandles, toLine } from './points';
import { fromColumnar } from './series';

const H = 3_600_000;
function pred(h: 1 | 4 | 8 | 24, tMs: number): Prediction {
  const start = tMs + 60_000;
  return {
    asset: 'BTC', horizon_hours: h, t_ms: tMs, close: 100, p_up: 0.6, p_down: 0.4, expected_move: 0.01, volatility: 0.02,
    cone: Array.from({ length: h + 1 }, (_, k) => ({ t_ms: start + k * H, mid: 100 + k, upper: 100 + 2 * k, lower: 100 - 2 * k, upper2: 100 + 4 * k, lower2: 100 - 4 * k })),
    confidence: 'medium', regime: 'normal', model_version: 'v', stale: false, simulated: true,
  };
}

describe('coneToPoints', () => {
  const t = Date.UTC(2025, 7, 31, 23, 59);
  it('on a 1h chart: origin at the bar holding the prediction, one point per hour, seconds', () => {
    const pts = coneToPoints(pred(4, t), H);
    expect(pts.length).toBe(5);
    expect(pts[0]).toEqual({ time: Date.UTC(2025, 7, 31, 23) / 1000, median: 100, lo1: 100, hi1: 100, lo2: 100, hi2: 100 });
    expect(pts[1]!.time).toBe(Date.UTC(2025, 8, 1, 0) / 1000);
    expect(pts[1]!.median).toBe(101); // the 00:00 bar shows the price at its close, 01:00
    expect(pts[4]).toMatchObject({ median: 104, lo1: 92, hi1: 108, lo2: 84, hi2: 116 });
  });
  it('on a 1m chart: resampled per minute, interpolated between hourly steps', () => {
    const pts = coneToPoints(pred(1, t), 60_000);
    expect(pts.length).toBe(61); // the 23:59 bar, then one per minute to 00:59 (showing 01:00)
    expect(pts[0]).toMatchObject({ time: t / 1000, median: 100 });
    const mid = pts[30]!; // the 00:29 bar shows 00:30, half way through the first hour step
    expect(mid.median).toBeCloseTo(100.5, 6);
    expect(mid.hi2).toBeCloseTo(102, 6);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.time).toBe(pts[i - 1]!.time + 60);
  });
  it('bands stay ordered lo2 <= lo1 <= median <= hi1 <= hi2', () => {
    for (const p of coneToPoints(pred(24, t), 15 * 60_000)) {
      expect(p.lo2).toBeLessThanOrEqual(p.lo1);
      expect(p.lo1).toBeLessThanOrEqual(p.median);
      expect(p.median).toBeLessThanOrEqual(p.hi1);
      expect(p.hi1).toBeLessThanOrEqual(p.hi2);
    }
  });
  it('a longer horizon reaches further', () => {
    const a = coneToPoints(pred(1, t), H), b = coneToPoints(pred(24, t), H);
    expect(b[b.length - 1]!.time).toBeGreaterThan(a[a.length - 1]!.time);
  });
  it('no cone, no points', () => {
    expect(coneToPoints({ ...pred(4, t), cone: [] }, H)).toEqual([]);
  });
});

describe('series → points', () => {
  const s = fromColumnar({ asset: 'BTC', symbol: 'BTCUSDT', interval: '1m', simulated: false, t: [60_000, 120_000], open: [1, 2], high: [2, 3], low: [0, 1], close: [2, 1], volume: [5, 6], oi: [null, 3], liq_long: [4, null] });
  it('candles in seconds', () => {
    expect(toCandles(s)).toEqual([{ time: 60, open: 1, high: 2, low: 0, close: 2 }, { time: 120, open: 2, high: 3, low: 1, close: 1 }]);
  });
  it('nulls become whitespace points', () => {
    expect(toLine(s, s.oi)).toEqual([{ time: 60 }, { time: 120, value: 3 }]);
    expect(toLine(s, s.oi, 100)[1]).toEqual({ time: 120, value: 300 });
  });
  it('long liquidations point down', () => {
    expect(liqAt(s, 0, 'long')).toEqual({ time: 60, value: -4 });
    expect(liqAt(s, 1, 'long')).toEqual({ time: 120 });
  });
});
