/**
 * Series → chart points. Plain objects whose `time` is in seconds (the chart's unit);
 * a missing value becomes a whitespace point {time} so panes stay aligned bar for bar.
 */
import { msToSec, unixMs, type UnixSec } from '../helpers/units';
import type { Prediction } from './api-types';
import type { BarSeries, Num } from './series';

export interface CandlePoint { time: UnixSec; open: number; high: number; low: number; close: number }
export interface ValuePoint { time: UnixSec; value?: number; color?: string }
/** One point of the forward cone (custom series): median path and 1σ / 2σ edges. */
export interface ConePoint { time: UnixSec; median: number; lo1: number; hi1: number; lo2: number; hi2: number }

export function toCandles(s: BarSeries): CandlePoint[] {
  const out = new Array<CandlePoint>(s.t.length);
  for (let i = 0; i < s.t.length; i++) {
    out[i] = { time: msToSec(s.t[i]!), open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]! };
  }
  return out;
}

export function candleAt(s: BarSeries, i: number): CandlePoint {
  return { time: msToSec(s.t[i]!), open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]! };
}

/** A line of one column (times `scale`, e.g. 100 for percent); nulls become whitespace. */
export function toLine(s: BarSeries, values: readonly Num[], scale = 1): ValuePoint[] {
  const out = new Array<ValuePoint>(s.t.length);
  for (let i = 0; i < s.t.length; i++) out[i] = valueAt(s, values, i, scale);
  return out;
}

export function valueAt(s: BarSeries, values: readonly Num[], i: number, scale = 1): ValuePoint {
  const v = values[i];
  return v == null ? { time: msToSec(s.t[i]!) } : { time: msToSec(s.t[i]!), value: v * scale };
}

export interface UpDownColors { up: string; down: string }

/** Volume bars coloured by candle direction. */
export function volumeAt(s: BarSeries, i: number, c: UpDownColors): ValuePoint {
  return { time: msToSec(s.t[i]!), value: s.volume[i]!, color: s.close[i]! >= s.open[i]! ? c.up : c.down };
}
export function toVolume(s: BarSeries, c: UpDownColors): ValuePoint[] {
  const out = new Array<ValuePoint>(s.t.length);
  for (let i = 0; i < s.t.length; i++) out[i] = volumeAt(s, i, c);
  return out;
}

/** Long liquidations drawn downward (negative), short liquidations upward. */
export function liqAt(s: BarSeries, i: number, side: 'long' | 'short'): ValuePoint {
  const v = side === 'long' ? s.liqLong[i] : s.liqShort[i];
  if (v == null) return { time: msToSec(s.t[i]!) };
  return { time: msToSec(s.t[i]!), value: side === 'long' ? -v : v };
}

function interp(x0: number, y0: number, x1: number, y1: number, x: number): number {
  if (x1 === x0) return y1;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/**
 * The prediction cone as custom-series points on the chart's bar grid.
 * The chart's time axis is index-based (one slot per bar) and a candle in slot T shows the
 * price at its close T + interval, so the cone is placed the same way: slot k shows the cone
 * at origin + (k+1)·interval, where origin is the chart bar holding the prediction's bar.
 * Slot 0 therefore starts at the close the prediction was made from; the hourly cone steps
 * are interpolated onto the grid and the last slot reaches the horizon. At most maxPoints.
 */
export function coneToPoints(p: Prediction, intervalMs: number, maxPoints = 2000): ConePoint[] {
  const steps = [...(p.cone ?? [])].filter((c) => Number.isFinite(c.t_ms) && Number.isFinite(c.mid)).sort((a, b) => a.t_ms - b.t_ms);
  if (steps.length === 0 || intervalMs <= 0) return [];
  const start = steps[0]!.t_ms;
  const end = steps[steps.length - 1]!.t_ms;
  const origin = Math.floor(p.t_ms / intervalMs) * intervalMs;
  const out: ConePoint[] = [];
  let j = 0;
  for (let k = 0; out.length < maxPoints; k++) {
    const target = origin + (k + 1) * intervalMs;
    const tc = Math.max(start, Math.min(target, end));
    while (j < steps.length - 2 && steps[j + 1]!.t_ms < tc) j++;
    const a = steps[j]!, b = steps[Math.min(j + 1, steps.length - 1)]!;
    const at = (f: 'mid' | 'lower' | 'upper' | 'lower2' | 'upper2') => interp(a.t_ms, a[f], b.t_ms, b[f], tc);
    out.push({ time: msToSec(unixMs(origin + k * intervalMs)), median: at('mid'), lo1: at('lower'), hi1: at('upper'), lo2: at('lower2'), hi2: at('upper2') });
    if (target >= end) break;
  }
  return out;
}
