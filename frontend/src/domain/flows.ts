/**
 * The flows panel's view model: bars of an on-chain series on its time axis (coordinates
 * only; the panel draws them) and the line that says where the data comes from and how old
 * it is. Pure functions over the server's FlowSeries.
 */
import type { FlowSeries } from './api-types';

export interface FlowBar { x: number; y: number; w: number; h: number; up: boolean }
export interface FlowTick { x: number; label: string }
export interface FlowPlot { bars: FlowBar[]; ticks: FlowTick[]; zeroY: number }

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Bars for the last `maxBars` points in a width x height box: time runs left to right over
 * [first t, last t + interval], zero is a horizontal line, positive values rise above it.
 * Whale flows (with `in`/`out`) draw inflows up and outflows down; others draw v by sign.
 * Null values draw nothing. Two ticks: the first and last day shown.
 */
export function flowPlot(f: FlowSeries, width: number, height: number, maxBars = 120): FlowPlot {
  const n = f.t.length, from = Math.max(0, n - maxBars);
  if (n === 0) return { bars: [], ticks: [], zeroY: height / 2 };
  const iv = f.interval_ms ?? (n > 1 ? f.t[n - 1]! - f.t[n - 2]! : 86_400_000);
  const t0 = f.t[from]!, t1 = f.t[n - 1]! + iv;
  const x = (t: number) => ((t - t0) / (t1 - t0)) * width;
  const pairs: [number, number | null | undefined, boolean][] = [];
  for (let i = from; i < n; i++) {
    if (f.in && f.out) {
      pairs.push([f.t[i]!, f.in[i], true]);
      pairs.push([f.t[i]!, f.out[i] == null ? null : -f.out[i]!, false]);
    } else pairs.push([f.t[i]!, f.v[i], (f.v[i] ?? 0) >= 0]);
  }
  let hi = 0, lo = 0;
  for (const [, v] of pairs) if (v != null) { hi = Math.max(hi, v); lo = Math.min(lo, v); }
  const span = hi - lo || 1;
  const zeroY = (hi / span) * height;
  const w = Math.max(1, x(t0 + iv) - 1);
  const bars: FlowBar[] = [];
  for (const [t, v, up] of pairs) {
    if (v == null || v === 0) continue;
    const h = (Math.abs(v) / span) * height;
    bars.push({ x: x(t), y: v > 0 ? zeroY - h : zeroY, w, h, up });
  }
  return { bars, ticks: [{ x: 0, label: day(t0) }, { x: width, label: day(t1 - iv) }], zeroY };
}

/** "defillama · updated 3 min ago" / "import · data to 2025-08-31" and whether it is stale. */
export function flowSourceLine(f: FlowSeries, nowMs: number): { text: string; stale: boolean } {
  const src = f.source ?? 'unknown source';
  const derived = f.derived_from ? ` (from ${f.derived_from.replace(/_/g, ' ')})` : '';
  if (f.updated_ms != null) {
    const min = Math.max(0, Math.round((nowMs - f.updated_ms) / 60_000));
    const age = min < 60 ? `${min} min` : min < 2880 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} d`;
    return { text: `${src}${derived} · updated ${age} ago`, stale: f.stale ?? false };
  }
  const last = f.last_ts ?? f.t[f.t.length - 1];
  return { text: `${src}${derived}${last != null ? ` · data to ${day(last)}` : ''}`, stale: f.stale ?? false };
}
