import { describe, expect, it } from 'vitest';
import type { MarketDataResponse, WsBar } from './api-types';
import { barIndexAt, foldBar, fromColumnar, gapFillFrom, mergeBars, SeriesShapeError } from './series';

function md(n: number, over: Partial<MarketDataResponse> = {}): MarketDataResponse {
  const t = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 60_000);
  const c = t.map((_, i) => 100 + i);
  return { asset: 'BTC', symbol: 'BTCUSDT', interval: '1m', simulated: true, t, open: c, high: c.map((x) => x + 1), low: c.map((x) => x - 1), close: c, volume: c.map(() => 2),
    oi: c.map((_, i) => (i === 1 ? null : 5)), funding: c.map(() => null), ...over };
}
const bar = (t: number, close: number): WsBar => ({ t, open: close, high: close + 1, low: close - 1, close, volume: 1 });

describe('fromColumnar', () => {
  it('keeps columns aligned and nulls as nulls', () => {
    const s = fromColumnar(md(3));
    expect(s.t.length).toBe(3);
    expect(s.oi).toEqual([5, null, 5]);
    expect(s.funding).toEqual([null, null, null]);
    expect(s.cvd).toEqual([null, null, null]); // column absent → no values, not zeros
    expect(s.simulated).toBe(true);
  });
  it('rejects columns of different lengths, naming the column', () => {
    expect(() => fromColumnar(md(3, { close: [1, 2] }))).toThrow(SeriesShapeError);
    expect(() => fromColumnar(md(3, { oi: [1] }))).toThrow(/'oi' has 1 values/);
  });
  it('drops bars without full OHLC and non-ascending times', () => {
    const m = md(4);
    (m.open as (number | null)[])[1] = null;
    m.t[3] = m.t[2]!;
    const s = fromColumnar(m);
    expect(s.t.length).toBe(2);
  });
});

describe('mergeBars', () => {
  it('replacing the last bar is an update', () => {
    const s = fromColumnar(md(3));
    const r = mergeBars(s, [bar(s.t[2]!, 500)], 100);
    expect(r.change).toBe('update');
    expect(r.series.close[2]).toBe(500);
    expect(s.close[2]).toBe(102); // input untouched
  });
  it('appending is an update; an earlier change is a reset', () => {
    const s = fromColumnar(md(3));
    expect(mergeBars(s, [bar(s.t[2]! + 60_000, 1)], 100).change).toBe('update');
    expect(mergeBars(s, [bar(s.t[0]!, 1)], 100).change).toBe('reset');
    const ins = mergeBars(s, [bar(s.t[0]! + 30_000, 7)], 100);
    expect(ins.change).toBe('reset');
    expect(ins.series.t.length).toBe(4);
    expect(ins.series.close[1]).toBe(7);
  });
  it('a bar inserted just before the last one is a reset (the last one moves right)', () => {
    // a replay's first bar landing before a live bar that reached the rewound series: fed
    // by update(), the chart would get a time older than its last and throw
    const s = fromColumnar(md(3));
    const r = mergeBars(s, [bar(s.t[1]! + 30_000, 7)], 100);
    expect(r.change).toBe('reset');
    expect(r.series.t).toEqual([s.t[0], s.t[1], s.t[1]! + 30_000, s.t[2]]);
    // replacing that last bar, or appending after it, stays an update
    expect(mergeBars(s, [bar(s.t[2]!, 9), bar(s.t[2]! + 60_000, 9)], 100).change).toBe('update');
  });
  it('trims the window back to maxBars once over maxBars + slack', () => {
    let s = fromColumnar(md(10));
    const last = s.t[9]!;
    let r = mergeBars(s, [1, 2].map((k) => bar(last + k * 60_000, k)), 10, 2);
    expect(r.series.t.length).toBe(12);
    expect(r.change).toBe('update');
    s = r.series;
    r = mergeBars(s, [bar(last + 3 * 60_000, 3)], 10, 2);
    expect(r.change).toBe('reset');
    expect(r.series.t.length).toBe(10);
    expect(r.series.t[9]).toBe(last + 3 * 60_000);
  });
  it('live candles carry a CVD delta: the running sum continues from the bar before', () => {
    const s = fromColumnar(md(3, { cvd: [10, 12, 15] }));
    const last = s.t[2]!;
    const upd = mergeBars(s, [{ ...bar(last, 1), cvd: 4 }], 100, 500, true);
    expect(upd.series.cvd[2]).toBe(16); // 12 + 4: the in-progress bar replaces its own delta
    const next = mergeBars(upd.series, [{ ...bar(last + 60_000, 1), cvd: -1 }, { ...bar(last + 120_000, 1), cvd: 2 }], 100, 500, true);
    expect(next.series.cvd.slice(2)).toEqual([16, 15, 17]);
    expect(mergeBars(s, [{ ...bar(last, 1), cvd: 99 }], 100).series.cvd[2]).toBe(99); // running sums pass through
  });
  it('no bars, no change', () => {
    const s = fromColumnar(md(2));
    expect(mergeBars(s, [], 10)).toEqual({ series: s, change: 'none', touched: 0 });
  });
});

describe('gapFillFrom', () => {
  it('starts at the bar before the first hole, else at the last bar', () => {
    const s = fromColumnar(md(6));
    expect(gapFillFrom(s, 60_000)).toBe(s.t[5]);
    const holed = fromColumnar(md(6, { t: [0, 1, 2, 5, 6, 9].map((k) => 1_700_000_000_000 + k * 60_000) }));
    expect(gapFillFrom(holed, 60_000)).toBe(holed.t[2]);
    expect(gapFillFrom(holed, 60_000, 2)).toBe(holed.t[4]); // only the last 2 bars looked at
    expect(gapFillFrom(fromColumnar(md(0)), 60_000)).toBe(-1);
  });
});

describe('foldBar and barIndexAt', () => {
  it('folds 1m bars into a 5m bucket', () => {
    const t0 = 1_700_000_100_000 - (1_700_000_100_000 % 300_000);
    let b = foldBar(null, { ...bar(t0, 10), liq_long: 1 }, 300_000);
    b = foldBar(b, { ...bar(t0 + 60_000, 20), liq_long: 2, cvd: 5 }, 300_000);
    b = foldBar(b, { ...bar(t0 + 120_000, 5), liq_long: null }, 300_000);
    expect(b).toMatchObject({ t: t0, open: 10, high: 21, low: 4, close: 5, volume: 3, liq_long: 3, cvd: 5 });
    expect(foldBar(b, bar(t0 + 300_000, 1), 300_000).t).toBe(t0 + 300_000);
  });
  it('finds the bar at or before a time', () => {
    const s = fromColumnar(md(3));
    expect(barIndexAt(s, s.t[1]!)).toBe(1);
    expect(barIndexAt(s, s.t[1]! + 1)).toBe(1);
    expect(barIndexAt(s, s.t[0]! - 1)).toBe(-1);
  });
});
