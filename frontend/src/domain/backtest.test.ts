import { describe, expect, it } from 'vitest';
import { drawdownOf, readBacktest, readCurve, readHindsight, timeOf } from './backtest';
import { hindsightPoints } from './hindsight';
import { fromColumnar } from './series';

describe('readCurve', () => {
  it('reads columns, rows and pairs, sorted, seconds promoted to ms', () => {
    expect(readCurve({ t: [2000, 1000], v: [2, 1] })).toEqual([{ t: 1_000_000, v: 1 }, { t: 2_000_000, v: 2 }]);
    expect(readCurve([{ t_ms: 1_700_000_000_000, equity: 5 }])).toEqual([{ t: 1_700_000_000_000, v: 5 }]);
    expect(readCurve([['2025-01-01T00:00:00Z', 3]])).toEqual([{ t: Date.UTC(2025, 0, 1), v: 3 }]);
    expect(readCurve(null)).toEqual([]);
  });
  it('timeOf rejects junk', () => {
    expect(timeOf('yesterday')).toBeNull();
    expect(timeOf(undefined)).toBeNull();
  });
});

describe('readBacktest', () => {
  it('derives the drawdown when absent and lists scalar metrics', () => {
    const v = readBacktest({
      equity: { t: [1, 2, 3, 4].map((i) => 1_700_000_000_000 + i * 3_600_000), v: [100, 120, 90, 130] },
      trades: [{ entry_ts: '2025-01-01T00:00:00Z', exit_ts: '2025-01-01T04:00:00Z', side: 'short', pnl: -0.01 }, { nonsense: 1 }],
      metrics: { sharpe_ratio: 1.2, max_drawdown: -0.25, note: 'x', nested: { a: 1 } },
    });
    expect(v.drawdown.map((p) => p.v)).toEqual([0, 0, -0.25, 0]);
    expect(v.trades).toEqual([{ entryT: Date.UTC(2025, 0, 1), exitT: Date.UTC(2025, 0, 1, 4), side: 'short', entryPrice: null, exitPrice: null, pnl: -0.01 }]);
    expect(v.metrics).toEqual([['sharpe_ratio', 1.2], ['max_drawdown', -0.25], ['note', 'x']]);
  });
  it('top-level metrics when there is no metrics object; empty for null', () => {
    expect(readBacktest({ total_return: 0.1, equity: [] }).metrics).toEqual([['total_return', 0.1]]);
    expect(readBacktest(null)).toEqual({ equity: [], drawdown: [], trades: [], metrics: [], hindsight: [] });
  });
  it('reads the engine result (docs/BACKTEST.md): columns, open trades, hindsight points', () => {
    const T = 1_700_000_000_000;
    const v = readBacktest({
      kind: 'strategy', bars: 3,
      metrics: { total_return: 0.02, win_rate: null, total_trades: 2 },
      equity: { t: [T + 60_000, T + 120_000, T + 180_000], v: [100, 101, 102] },
      drawdown: { t: [T + 60_000, T + 120_000, T + 180_000], v: [0, -0.01, 0] },
      trades: [{ side: 'long', entry_t_ms: T + 120_000, entry_price: 10, open: false, exit_t_ms: T + 180_000, exit_price: 11, pnl: 1 },
        { side: 'short', entry_t_ms: T + 180_000, entry_price: 11, open: true, exit_t_ms: null, exit_price: null, pnl: -0.1 }],
      hindsight: { label: 'hindsight: ...', min_swing: 0.02, points: [{ t_ms: T + 180_000, price: 12, kind: 'exit' }, { t_ms: T + 60_000, price: 9, kind: 'entry' }, { t_ms: T, kind: 'entry' }] },
    });
    expect(v.drawdown.map((p) => p.v)).toEqual([0, -0.01, 0]);
    expect(v.trades.map((t) => [t.side, t.exitT])).toEqual([['long', T + 180_000], ['short', null]]);
    expect(v.metrics).toEqual([['total_return', 0.02], ['total_trades', 2]]);
    expect(v.hindsight).toEqual([{ t: T + 60_000, price: 9, kind: 'entry' }, { t: T + 180_000, price: 12, kind: 'exit' }]);
    expect(readHindsight(null)).toEqual([]);
  });
  it('drawdownOf a rising curve is zero', () => {
    expect(drawdownOf([{ t: 1 as never, v: 1 }, { t: 2 as never, v: 2 }]).map((p) => p.v)).toEqual([0, 0]);
  });
});

describe('hindsightPoints', () => {
  const closes = [100, 98, 95, 97, 103, 106, 104, 99, 96, 100, 108];
  const s = fromColumnar({ asset: 'BTC', symbol: 'BTCUSDT', interval: '1h', simulated: false,
    t: closes.map((_, i) => i * 3_600_000), open: closes, high: closes, low: closes, close: closes, volume: closes });
  it('buys the swing lows and sells the swing highs, alternating', () => {
    const h = hindsightPoints(s, 0.04);
    expect(h.map((p) => [p.kind, p.price])).toEqual([['entry', 95], ['exit', 106], ['entry', 96]]);
  });
  it('a big threshold finds nothing; bad input is empty', () => {
    expect(hindsightPoints(s, 0.5)).toEqual([]);
    expect(hindsightPoints(s, 0)).toEqual([]);
  });
});
