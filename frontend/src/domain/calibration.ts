/**
 * GET /calibration (docs/API.md) and what the Calibration panel shows of it: the cone's
 * 1σ / 2σ coverage beside the targets, judged within a tolerance, the daily coverage and the
 * p_up reliability diagram as drawing coordinates, and a one-line verdict. Pure functions.
 */
import type { Asset, Horizon } from './api-types';

export interface CalCoverage { days?: number; n: number; sigma1: number | null; sigma2: number | null; in_sigma1: number; in_sigma2: number }
export interface CalDay { day: string; t_ms: number; n: number; sigma1: number | null; sigma2: number | null }
export interface CalBin { lo: number; hi: number; n: number; mean_p: number | null; up_share: number | null }
export interface CalHorizon {
  horizon_hours: Horizon; predictions: number; resolved: number; pending: number; missing_outcome: number;
  targets: { sigma1: number; sigma2: number };
  coverage: Record<string, CalCoverage>;
  daily: CalDay[];
  reliability: { n: number; up_share: number | null; brier: number | null; brier_base: number | null; bins: CalBin[] };
}
export interface CalibrationResponse {
  asset: Asset; symbol: string; instrument: string; simulated: boolean; now_ms: number; window_days: number; horizons: CalHorizon[];
}

export type Band = 'sigma1' | 'sigma2';
/** Within this distance of its target a band's coverage counts as calibrated (green). */
export const TOLERANCE: Record<Band, number> = { sigma1: 0.02, sigma2: 0.015 };
const BAND_NAME: Record<Band, string> = { sigma1: '1-sigma', sigma2: '2-sigma' };

export type CoverageStatus = 'ok' | 'off' | 'none';
export interface CoverageCell { band: Band; window: string; value: number | null; target: number; n: number; status: CoverageStatus }
export interface CalibrationView {
  horizon: Horizon; windowDays: number; resolved: number; pending: number;
  /** per window (shortest first), the 1σ then the 2σ cell */
  cells: CoverageCell[];
  /** the window's days from the first with outcomes (a young store does not squash its days
   *  into the right edge of a 30-day axis) */
  daily: CalDay[];
  bins: CalBin[];
  brier: number | null; brierBase: number | null;
  /** the model's Brier score beats the as-of base rate's; null without outcomes */
  edge: boolean | null;
  verdict: string;
}

export function coverageStatus(value: number | null, target: number, band: Band): CoverageStatus {
  if (value === null || !Number.isFinite(value)) return 'none';
  return Math.abs(value - target) <= TOLERANCE[band] + 1e-12 ? 'ok' : 'off';
}

/** Coverage to two decimals as the panel and the verdict print it ("0.91"). */
export function formatCoverage(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(2);
}

function verdictOf(h: CalHorizon, longest: CoverageCell[], windowDays: number, edge: boolean | null): string {
  const parts: string[] = [];
  const [c1, c2] = longest;
  if (!c1 || !c2 || c2.n === 0) parts.push(`no outcomes resolved yet at ${h.horizon_hours} h`);
  else {
    const off = [c2, c1].find((c) => c.status === 'off');
    if (!off) parts.push(`cone calibrated over ${windowDays} days`);
    else parts.push(`cone too ${off.value! < off.target ? 'narrow' : 'wide'}: ${BAND_NAME[off.band]} covered ${formatCoverage(off.value)} of outcomes`);
  }
  if (edge === false) parts.push(`no directional edge at ${h.horizon_hours} h`);
  return parts.join('; ');
}

/** The panel's view of one horizon of the answer; null when the answer lacks it. */
export function calibrationView(r: CalibrationResponse, horizon: Horizon): CalibrationView | null {
  const h = r.horizons.find((x) => x.horizon_hours === horizon);
  if (!h) return null;
  const windows = Object.keys(h.coverage).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const cells = windows.flatMap((w) => (['sigma1', 'sigma2'] as const).map((band): CoverageCell => {
    const c = h.coverage[w]!;
    return { band, window: w, value: c[band], target: h.targets[band], n: c.n, status: coverageStatus(c[band], h.targets[band], band) };
  }));
  const { brier, brier_base: brierBase } = h.reliability;
  const edge = brier === null || brierBase === null || h.reliability.n === 0 ? null : brier < brierBase;
  const first = h.daily.findIndex((d) => d.n > 0);
  return {
    horizon, windowDays: r.window_days, resolved: h.resolved, pending: h.pending, cells,
    daily: first > 0 ? h.daily.slice(first) : h.daily, bins: h.reliability.bins, brier, brierBase, edge,
    verdict: verdictOf(h, cells.slice(-2), r.window_days, edge),
  };
}

// ---- drawing coordinates (SVG user units; y grows downwards) ------------------------------

export interface Box { w: number; h: number; pad: number }

/** Coverage (0..1) to y in the box. */
const yOf = (v: number, b: Box) => b.pad + (1 - v) * (b.h - 2 * b.pad);

/** The daily coverage of one band as polyline runs (a day without outcomes breaks the line),
 *  days spread evenly over the width; the target as a y. */
export function dailyLines(days: CalDay[], band: Band, target: number, b: Box): { runs: string[]; targetY: number } {
  const n = days.length;
  const x = (i: number) => b.pad + (n <= 1 ? 0 : (i / (n - 1)) * (b.w - 2 * b.pad));
  const runs: string[] = [];
  let cur: string[] = [];
  days.forEach((d, i) => {
    const v = d[band];
    if (v === null || d.n === 0) {
      if (cur.length) runs.push(cur.join(' '));
      cur = [];
      return;
    }
    cur.push(`${x(i).toFixed(1)},${yOf(v, b).toFixed(1)}`);
  });
  if (cur.length) runs.push(cur.join(' '));
  return { runs, targetY: yOf(target, b) };
}

/** Reliability points: x = mean p_up of the bin, y = observed up share, radius by the bin's
 *  share of the predictions (2..6); empty bins are left out. */
export function reliabilityPoints(bins: CalBin[], b: Box): { cx: number; cy: number; r: number; n: number }[] {
  const total = bins.reduce((a, x) => a + x.n, 0);
  const side = b.w - 2 * b.pad;
  return bins
    .filter((x) => x.n > 0 && x.mean_p !== null && x.up_share !== null)
    .map((x) => ({
      cx: b.pad + x.mean_p! * side,
      cy: b.pad + (1 - x.up_share!) * (b.h - 2 * b.pad),
      r: 2 + 4 * Math.sqrt(x.n / total),
      n: x.n,
    }));
}
