/**
 * The market series the cockpit shows: columnar arrays of one asset and interval, bars
 * ascending by open time. Built from /market-data, then grown by live bars (mergeBars) and
 * kept to a window so that chart updates stay cheap (lightweight-charts rebuilds a series
 * on every update; at 100k bars that costs ~80 ms).
 */
import { unixMs, type UnixMs } from '../helpers/units';
import type { Asset, Interval, MarketDataResponse, WsBar } from './api-types';

export type Num = number | null;
export interface BarSeries {
  asset: Asset;
  interval: Interval;
  simulated: boolean;
  t: UnixMs[];
  open: number[]; high: number[]; low: number[]; close: number[]; volume: number[];
  cvd: Num[]; oi: Num[]; funding: Num[]; liqLong: Num[]; liqShort: Num[]; basis: Num[];
}

const OPTIONAL = [
  ['cvd', 'cvd'], ['oi', 'oi'], ['funding', 'funding'],
  ['liqLong', 'liq_long'], ['liqShort', 'liq_short'], ['basis', 'basis'],
] as const;

export class SeriesShapeError extends Error {}

const num = (v: unknown): Num => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Columnar response → series. Rejects unequal lengths; drops bars without a full OHLC. */
export function fromColumnar(md: MarketDataResponse): BarSeries {
  const n = md.t.length;
  for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) {
    if (md[k].length !== n) throw new SeriesShapeError(`market-data: '${k}' has ${md[k].length} values, 't' has ${n}`);
  }
  for (const [, api] of OPTIONAL) {
    const col = md[api];
    if (col && col.length !== n) throw new SeriesShapeError(`market-data: '${api}' has ${col.length} values, 't' has ${n}`);
  }
  const s = emptySeries(md.asset, md.interval, md.simulated);
  for (let i = 0; i < n; i++) {
    const o = num(md.open[i]), h = num(md.high[i]), l = num(md.low[i]), c = num(md.close[i]);
    const t = num(md.t[i]);
    if (o === null || h === null || l === null || c === null || t === null) continue;
    if (s.t.length > 0 && t <= (s.t[s.t.length - 1] as number)) continue; // not ascending: keep the first
    s.t.push(unixMs(t));
    s.open.push(o); s.high.push(h); s.low.push(l); s.close.push(c);
    s.volume.push(num(md.volume[i]) ?? 0);
    for (const [k, api] of OPTIONAL) s[k].push(num(md[api]?.[i]));
  }
  return s;
}

export function emptySeries(asset: Asset, interval: Interval, simulated = false): BarSeries {
  return {
    asset, interval, simulated, t: [], open: [], high: [], low: [], close: [], volume: [],
    cvd: [], oi: [], funding: [], liqLong: [], liqShort: [], basis: [],
  };
}

function copy(s: BarSeries): BarSeries {
  return {
    ...s, t: s.t.slice(), open: s.open.slice(), high: s.high.slice(), low: s.low.slice(),
    close: s.close.slice(), volume: s.volume.slice(), cvd: s.cvd.slice(), oi: s.oi.slice(),
    funding: s.funding.slice(), liqLong: s.liqLong.slice(), liqShort: s.liqShort.slice(), basis: s.basis.slice(),
  };
}

function setAt(s: BarSeries, i: number, b: WsBar, cvdIsDelta = false): void {
  s.t[i] = unixMs(b.t);
  s.open[i] = b.open; s.high[i] = b.high; s.low[i] = b.low; s.close[i] = b.close; s.volume[i] = b.volume;
  const c = num(b.cvd);
  // a live candle carries its own delta: continue the running sum of the bar before it
  s.cvd[i] = cvdIsDelta && c !== null ? (i > 0 ? (s.cvd[i - 1] ?? 0) : 0) + c : c; s.oi[i] = num(b.oi); s.funding[i] = num(b.funding);
  s.liqLong[i] = num(b.liq_long); s.liqShort[i] = num(b.liq_short); s.basis[i] = num(b.basis);
}

function insertAt(s: BarSeries, i: number, b: WsBar, cvdIsDelta: boolean): void {
  for (const k of ['t', 'open', 'high', 'low', 'close', 'volume', 'cvd', 'oi', 'funding', 'liqLong', 'liqShort', 'basis'] as const) {
    (s[k] as unknown[]).splice(i, 0, null);
  }
  setAt(s, i, b, cvdIsDelta);
}

function dropFront(s: BarSeries, n: number): void {
  for (const k of ['t', 'open', 'high', 'low', 'close', 'volume', 'cvd', 'oi', 'funding', 'liqLong', 'liqShort', 'basis'] as const) {
    (s[k] as unknown[]).splice(0, n);
  }
}

/** Index of the first bar with t >= x. */
export function lowerBound(t: readonly number[], x: number): number {
  let lo = 0, hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] as number) < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * How a merge changed the series, so that a chart can pick the cheap path:
 * 'update' = only the last bar changed or bars were appended (series.update per bar);
 * 'reset'  = something earlier changed or the window was trimmed (setData).
 */
export interface MergeResult { series: BarSeries; change: 'none' | 'update' | 'reset'; touched: number }

/**
 * Merge bars (any order) into a new series. The window keeps at most maxBars + slack bars;
 * once over, it trims back to maxBars in one go (one setData per `slack` bars).
 * cvdIsDelta: the bars' `cvd` is the bar's own taker delta (live candles), not a running sum.
 */
export function mergeBars(s: BarSeries, bars: readonly WsBar[], maxBars: number, slack = 500, cvdIsDelta = false): MergeResult {
  if (bars.length === 0) return { series: s, change: 'none', touched: 0 };
  const out = copy(s);
  let change: MergeResult['change'] = 'none';
  const firstLen = out.t.length;
  const sorted = [...bars].sort((a, b) => a.t - b.t);
  for (const b of sorted) {
    if (!Number.isFinite(b.t) || !Number.isFinite(b.close)) continue;
    const n = out.t.length;
    const last = n > 0 ? (out.t[n - 1] as number) : -Infinity;
    if (b.t > last) {
      setAt(out, n, b, cvdIsDelta);
      if (change === 'none') change = 'update';
    } else if (b.t === last) {
      setAt(out, n - 1, b, cvdIsDelta);
      if (change === 'none') change = 'update';
    } else {
      const i = lowerBound(out.t, b.t);
      const replace = out.t[i] === b.t;
      if (replace) setAt(out, i, b, cvdIsDelta); else insertAt(out, i, b, cvdIsDelta);
      // an earlier bar than the one before the merge began changes history, and so does one
      // inserted before it (that bar moves right: a chart fed by update() would be handed a
      // time older than its last, which lightweight-charts throws on): redraw all
      const chartLast = firstLen - 1;
      if (i < chartLast || (!replace && i === chartLast)) change = 'reset'; else if (change === 'none') change = 'update';
    }
  }
  if (out.t.length > maxBars + slack) {
    dropFront(out, out.t.length - maxBars);
    change = 'reset';
  }
  return { series: out, change, touched: sorted.length };
}

/** Last index whose bar opened at or before t (for hover look-ups); -1 if none. */
export function barIndexAt(s: BarSeries, t: number): number {
  const i = lowerBound(s.t, t);
  if (i < s.t.length && s.t[i] === t) return i;
  return i - 1;
}

/** The last bar of the series as a WsBar (for folding), or null. */
export function lastBar(s: BarSeries): WsBar | null {
  const i = s.t.length - 1;
  if (i < 0) return null;
  return {
    t: s.t[i]!, open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]!, volume: s.volume[i]!,
    cvd: s.cvd[i] ?? null, oi: s.oi[i] ?? null, funding: s.funding[i] ?? null,
    liq_long: s.liqLong[i] ?? null, liq_short: s.liqShort[i] ?? null, basis: s.basis[i] ?? null,
  };
}

const addNull = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null && b == null ? null : (a ?? 0) + (b ?? 0);

/**
 * Fold a finer bar (e.g. a 1m replay bar) into the coarser bar of its interval bucket.
 * `prev` is the bucket's bar so far (null or another bucket → a new bucket starts).
 * Prices: open of the first, max/min, close of the last; volume and liquidations add up;
 * running or level values (cvd, oi, funding, basis) take the newest.
 */
export function foldBar(prev: WsBar | null, bar: WsBar, intervalMs: number): WsBar {
  const bucket = Math.floor(bar.t / intervalMs) * intervalMs;
  if (!prev || prev.t !== bucket) return { ...bar, t: bucket };
  return {
    t: bucket, open: prev.open, high: Math.max(prev.high, bar.high), low: Math.min(prev.low, bar.low),
    close: bar.close, volume: prev.volume + bar.volume,
    cvd: bar.cvd ?? prev.cvd ?? null, oi: bar.oi ?? prev.oi ?? null, funding: bar.funding ?? prev.funding ?? null,
    basis: bar.basis ?? prev.basis ?? null,
    liq_long: addNull(prev.liq_long, bar.liq_long), liq_short: addNull(prev.liq_short, bar.liq_short),
  };
}

/**
 * Where a gap fill should start: the bar before the first missing bar among the last
 * `lookback` bars (bars are `intervalMs` apart), else the last bar. -1 for an empty series.
 */
export function gapFillFrom(s: BarSeries, intervalMs: number, lookback = 500): number {
  const n = s.t.length;
  if (n === 0) return -1;
  for (let i = Math.max(1, n - lookback); i < n; i++) {
    if (s.t[i]! - s.t[i - 1]! > intervalMs) return s.t[i - 1]!;
  }
  return s.t[n - 1]!;
}
