/**
 * A backtest result (the JSON of `cpe backtest --out`, docs/BACKTEST.md) read into what the
 * cockpit draws: equity and drawdown curves, trades, a metrics table. The reader accepts the
 * curve as {t:[],v:[]} columns, as [{t_ms, value}] rows or as [[t, v]] pairs; a drawdown curve
 * the result does not carry is derived from the equity curve (peak-to-date ratio). The
 * result's hindsight points (ideal entries/exits over the backtest period, computed by the
 * engine on 1m bars) are kept for the chart.
 */
import { unixMs, type UnixMs } from '../helpers/units';
import type { HindsightPoint } from './hindsight';

export interface CurvePoint { t: UnixMs; v: number }
export interface Trade { entryT: UnixMs; exitT: UnixMs | null; side: 'long' | 'short'; entryPrice: number | null; exitPrice: number | null; pnl: number | null }
export interface BacktestView { equity: CurvePoint[]; drawdown: CurvePoint[]; trades: Trade[]; metrics: Array<[string, number | string]>; hindsight: HindsightPoint[] }

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const numOf = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** ms from a number (seconds if it looks like seconds) or an ISO string. */
export function timeOf(x: unknown): UnixMs | null {
  if (typeof x === 'number' && Number.isFinite(x)) return unixMs(x < 1e11 ? x * 1000 : x);
  if (typeof x === 'string') { const d = Date.parse(x); return Number.isNaN(d) ? null : unixMs(d); }
  return null;
}

const T_KEYS = ['t_ms', 't', 'ts', 'time'];
const V_KEYS = ['v', 'value', 'equity', 'drawdown', 'dd'];

export function readCurve(x: unknown): CurvePoint[] {
  const out: CurvePoint[] = [];
  if (isObj(x)) {
    const tk = T_KEYS.find((k) => Array.isArray(x[k]));
    const vk = V_KEYS.find((k) => Array.isArray(x[k]));
    if (!tk || !vk) return out;
    const ts = x[tk] as unknown[], vs = x[vk] as unknown[];
    for (let i = 0; i < Math.min(ts.length, vs.length); i++) {
      const t = timeOf(ts[i]), v = numOf(vs[i]);
      if (t !== null && v !== null) out.push({ t, v });
    }
  } else if (Array.isArray(x)) {
    for (const row of x) {
      let t: UnixMs | null = null, v: number | null = null;
      if (Array.isArray(row)) { t = timeOf(row[0]); v = numOf(row[1]); }
      else if (isObj(row)) {
        const tk = T_KEYS.find((k) => row[k] !== undefined);
        const vk = V_KEYS.find((k) => typeof row[k] === 'number');
        t = tk ? timeOf(row[tk]) : null; v = vk ? numOf(row[vk]) : null;
      }
      if (t !== null && v !== null) out.push({ t, v });
    }
  }
  out.sort((a, b) => a.t - b.t);
  return out.filter((p, i) => i === 0 || p.t !== out[i - 1]!.t);
}

/** Drawdown (≤ 0, a fraction of the running peak) of an equity curve. */
export function drawdownOf(equity: readonly CurvePoint[]): CurvePoint[] {
  let peak = -Infinity;
  return equity.map((p) => {
    peak = Math.max(peak, p.v);
    return { t: p.t, v: peak > 0 ? p.v / peak - 1 : 0 };
  });
}

function readTrade(x: unknown): Trade | null {
  if (!isObj(x)) return null;
  const pick = (...ks: string[]) => ks.map((k) => x[k]).find((v) => v !== undefined);
  const entryT = timeOf(pick('entry_t_ms', 'entry_ts', 'entry_t', 'entry_time', 'open_t_ms', 't_ms'));
  if (entryT === null) return null;
  const side = pick('side', 'direction');
  return {
    entryT,
    exitT: timeOf(pick('exit_t_ms', 'exit_ts', 'exit_t', 'exit_time', 'close_t_ms')),
    side: side === 'short' || side === -1 || side === 'sell' ? 'short' : 'long',
    entryPrice: numOf(pick('entry_price', 'entry')),
    exitPrice: numOf(pick('exit_price', 'exit')),
    pnl: numOf(pick('pnl', 'return', 'ret', 'pnl_pct')),
  };
}

const CURVES = new Set(['equity', 'equity_curve', 'drawdown', 'drawdown_curve', 'trades', 'metrics', 'config', 'strategy', 'hindsight']);

/** `hindsight: {points: [{t_ms, price, kind}]}` of a result (or a bare array of points). */
export function readHindsight(x: unknown): HindsightPoint[] {
  const pts = isObj(x) ? x.points : x;
  const out: HindsightPoint[] = [];
  for (const p of Array.isArray(pts) ? pts : []) {
    if (!isObj(p)) continue;
    const t = timeOf(p.t_ms ?? p.t), price = numOf(p.price);
    if (t !== null && price !== null && (p.kind === 'entry' || p.kind === 'exit')) out.push({ t, price, kind: p.kind });
  }
  return out.sort((a, b) => a.t - b.t);
}

export function readBacktest(result: unknown): BacktestView {
  const r = isObj(result) ? result : {};
  const equity = readCurve(r.equity ?? r.equity_curve);
  const ddRaw = readCurve(r.drawdown ?? r.drawdown_curve);
  const trades = (Array.isArray(r.trades) ? r.trades : []).map(readTrade).filter((t): t is Trade => t !== null);
  const metrics: Array<[string, number | string]> = [];
  const src = isObj(r.metrics) ? r.metrics : r;
  for (const [k, v] of Object.entries(src)) {
    if (CURVES.has(k)) continue;
    if (typeof v === 'number' || typeof v === 'string') metrics.push([k, v]);
  }
  return { equity, drawdown: ddRaw.length > 0 ? ddRaw : drawdownOf(equity), trades, metrics, hindsight: readHindsight(r.hindsight) };
}
