/**
 * PredictionCone as a series primitive attached to the candle series: the 2σ band, the 1σ band
 * and the dashed median, past the last candle. A prediction update only swaps the primitive's
 * points and asks for a redraw; no series data changes, so lightweight-charts does not re-index
 * its time scale (9 series × 10k points) as a custom series' setData made it do.
 *
 * Placement is by logical index: a point after the candles' last bar sits at
 * last bar's index + (t − last bar's time) / interval, which needs no point on the time scale
 * (the future whitespace slots, see `futureSlotsPlan`, only give the time axis its labels and
 * the crosshair its time there); a point at or before the last bar uses that bar's index.
 * The view (coneLogicals, coneGeometry, coneRange) is pure; the renderer only draws.
 */
import {
  MismatchDirection, PriceScaleMode, type AutoscaleInfo, type IPrimitivePaneRenderer, type IPrimitivePaneView, type Logical,
  type PrimitivePaneViewZOrder, type Time,
} from 'lightweight-charts';
import { SeriesPrimitiveBase } from './primitive-base';

/** One cone point on the bar grid; `time` in seconds (the chart's time). */
export interface ConePt { time: number; median: number; lo1: number; hi1: number; lo2: number; hi2: number }
export interface ConeColors { median: string; band1: string; band2: string; medianWidth: number }
export interface ConeGeometry { x: number[]; med: number[]; lo1: number[]; hi1: number[]; lo2: number[]; hi2: number[] }
/** The candle series' last bar: its time (s) and its logical index on the time scale. */
export interface ConeAnchor { time: number; logical: number }

type Target = Parameters<IPrimitivePaneRenderer['draw']>[0];

/**
 * Logical index of each point: past the anchor (the last bar) by whole intervals from it (the
 * future has no gaps); at or before it, the index of the bar at that time (`indexOf`, null when
 * the time scale has no such point). No anchor (no bar): every point null.
 */
export function coneLogicals(pts: readonly ConePt[], anchor: ConeAnchor | null, intervalSec: number, indexOf: (t: number) => number | null): (number | null)[] {
  if (!anchor || !(intervalSec > 0)) return pts.map(() => null);
  return pts.map((p) => (p.time > anchor.time ? anchor.logical + (p.time - anchor.time) / intervalSec : indexOf(p.time)));
}

/** View: points with a logical index → pixel coordinates (skips what a converter cannot place). */
export function coneGeometry(pts: readonly ConePt[], logicals: readonly (number | null)[], toX: (l: number) => number | null, toY: (p: number) => number | null): ConeGeometry {
  const g: ConeGeometry = { x: [], med: [], lo1: [], hi1: [], lo2: [], hi2: [] };
  for (let i = 0; i < pts.length; i++) {
    const l = logicals[i];
    if (l === null || l === undefined) continue;
    const x = toX(l);
    if (x === null) continue;
    const d = pts[i]!;
    const ys = [toY(d.median), toY(d.lo1), toY(d.hi1), toY(d.lo2), toY(d.hi2)];
    if (ys.some((y) => y === null)) continue;
    g.x.push(x); g.med.push(ys[0]!); g.lo1.push(ys[1]!); g.hi1.push(ys[2]!); g.lo2.push(ys[3]!); g.hi2.push(ys[4]!);
  }
  return g;
}

/**
 * Price range of the points whose logical index lies in [from, to] (the visible bars the price
 * scale autoscales over), with the neighbours just outside so a band cut by the edge counts
 * where it is drawn: the 2σ band and the median. Null when none is in range.
 */
export function coneRange(pts: readonly ConePt[], logicals: readonly (number | null)[], from: number, to: number): { minValue: number; maxValue: number } | null {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < pts.length; i++) {
    const l = logicals[i];
    if (l === null || l === undefined) continue;
    const prev = logicals[i - 1] ?? null, next = logicals[i + 1] ?? null;
    const inside = (l >= from && l <= to) || (prev !== null && prev < from && l > to) ||
      (l < from && next !== null && next > from) || (l > to && prev !== null && prev < to);
    if (!inside) continue;
    const p = pts[i]!;
    lo = Math.min(lo, p.lo2, p.median, p.hi2);
    hi = Math.max(hi, p.hi2, p.median, p.lo2);
  }
  return lo <= hi ? { minValue: lo, maxValue: hi } : null;
}

/**
 * A price → y converter from two calls to `toY` (the series' priceToCoordinate, which looks up the
 * scale's first visible value on every call: 1,200 calls for a 240-point cone cost milliseconds).
 * Exact for linear price scales (normal, percentage, indexed to 100): y is affine in price there.
 * Null when the two reference prices cannot be converted or coincide (use `toY` per point).
 */
export function affinePriceToY(toY: (p: number) => number | null, a: number, b: number): ((p: number) => number) | null {
  if (!(Number.isFinite(a) && Number.isFinite(b)) || a === b) return null;
  const ya = toY(a), yb = toY(b);
  if (ya === null || yb === null) return null;
  const k = (yb - ya) / (b - a);
  return (p) => ya + (p - a) * k;
}

function band(ctx: CanvasRenderingContext2D, x: number[], top: number[], bottom: number[], color: string): void {
  ctx.beginPath();
  if (x.length > 0) ctx.moveTo(x[0]!, top[0]!);
  for (let i = 1; i < x.length; i++) ctx.lineTo(x[i]!, top[i]!);
  for (let i = x.length - 1; i >= 0; i--) ctx.lineTo(x[i]!, bottom[i]!);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
}

class ConeRenderer implements IPrimitivePaneRenderer {
  constructor(private readonly g: ConeGeometry, private readonly c: ConeColors) {}
  draw(target: Target): void {
    const g = this.g, o = this.c;
    if (g.x.length < 2) return;
    target.useMediaCoordinateSpace(({ context: ctx }) => {
      band(ctx, g.x, g.hi2, g.lo2, o.band2);
      band(ctx, g.x, g.hi1, g.lo1, o.band1);
      ctx.beginPath();
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = o.medianWidth;
      ctx.strokeStyle = o.median;
      g.x.forEach((x, i) => (i === 0 ? ctx.moveTo(x, g.med[i]!) : ctx.lineTo(x, g.med[i]!)));
      ctx.stroke();
      ctx.setLineDash([]);
    });
  }
}

class ConeView implements IPrimitivePaneView {
  geometry: ConeGeometry = { x: [], med: [], lo1: [], hi1: [], lo2: [], hi2: [] };
  colors: ConeColors = { median: '', band1: '', band2: '', medianWidth: 2 };
  zOrder(): PrimitivePaneViewZOrder {
    return 'normal';
  }
  renderer(): IPrimitivePaneRenderer {
    return new ConeRenderer(this.geometry, this.colors);
  }
}

export class ConePrimitive extends SeriesPrimitiveBase {
  private pts: ConePt[] = [];
  private intervalSec = 60;
  private readonly view = new ConeView();
  private readonly views = [this.view];

  constructor(private colors: ConeColors) {
    super();
  }

  /** New points (a prediction update, a horizon or interval switch): one redraw, no series data. */
  setPoints(pts: ConePt[], intervalSec: number): void {
    this.pts = pts;
    this.intervalSec = intervalSec;
    this.redraw();
  }

  setColors(colors: ConeColors): void {
    this.colors = colors;
    this.redraw();
  }

  /** The candle series' last bar (time, logical index), from the chart as it is now. */
  private anchor(): ConeAnchor | null {
    const s = this.series, ts = this.timeScale();
    if (!s || !ts) return null;
    const last = s.dataByIndex(Number.MAX_SAFE_INTEGER, MismatchDirection.NearestLeft);
    if (!last) return null;
    const logical = ts.timeToIndex(last.time, false);
    return logical === null ? null : { time: last.time as number, logical };
  }

  private logicals(): (number | null)[] {
    const ts = this.timeScale();
    if (!ts || this.pts.length === 0) return [];
    return coneLogicals(this.pts, this.anchor(), this.intervalSec, (t) => ts.timeToIndex(t as Time, false));
  }

  updateAllViews(): void {
    const ts = this.timeScale();
    this.view.colors = this.colors;
    this.view.geometry = ts
      ? coneGeometry(this.pts, this.logicals(), (l) => ts.logicalToCoordinate(l as Logical), this.yConverter())
      : { x: [], med: [], lo1: [], hi1: [], lo2: [], hi2: [] };
  }

  /** Price → y for this draw: affine from two reference prices unless the scale is logarithmic. */
  private yConverter(): (p: number) => number | null {
    const perPoint = (p: number) => this.priceToY(p);
    if (!this.series || this.pts.length === 0 || this.series.priceScale().options().mode === PriceScaleMode.Logarithmic) return perPoint;
    let lo = Infinity, hi = -Infinity;
    for (const p of this.pts) { lo = Math.min(lo, p.lo2); hi = Math.max(hi, p.hi2); }
    return affinePriceToY(perPoint, lo, hi) ?? perPoint;
  }

  /** The price scale autoscales over the visible bars; the cone's bands there count too. */
  autoscaleInfo(from: Logical, to: Logical): AutoscaleInfo | null {
    if (this.pts.length === 0) return null;
    const r = coneRange(this.pts, this.logicals(), from, to);
    return r ? { priceRange: r } : null;
  }

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }
}

/** Whitespace slots (bar open times, seconds, inclusive) a series keeps past the last bar. */
export interface SlotSpan { from: number; to: number }

/** Spare slots past the cone's end: the whitespace outlives `slack` new bars or a slightly longer cone. */
export const slotSlack = (coneSlots: number): number => Math.max(8, Math.ceil(coneSlots / 4));

/**
 * The future whitespace the time scale needs for the cone (time-axis labels and the crosshair's
 * time over the future; the cone itself is placed without it). Changing it is a setData that
 * re-indexes the whole time scale, so the span is kept while it still fits: it starts at most one
 * slot after the last bar and not more than `slack` slots before it (bars grow into it), and it
 * reaches the cone's end with at most 2·slack to spare. Otherwise a new span from the slot after
 * the last bar to slack slots past the cone's end; null when no whitespace is needed (no bar, no
 * cone, or a cone that ends by the last bar). Returns 'keep' when `cur` stays.
 */
export function futureSlotsPlan(cur: SlotSpan | null, lastT: number | null, coneEnd: number | null, intervalSec: number, slack: number): SlotSpan | null | 'keep' {
  if (lastT === null || coneEnd === null || !(intervalSec > 0) || coneEnd <= lastT) return cur === null ? 'keep' : null;
  const step = intervalSec;
  if (cur && cur.from <= lastT + step && lastT - cur.from < slack * step && cur.to >= coneEnd && cur.to <= coneEnd + 2 * slack * step) return 'keep';
  return { from: lastT + step, to: coneEnd + slack * step };
}

/** The whitespace points of a span, one per slot. */
export function slotTimes(span: SlotSpan, intervalSec: number, max = 10_000): number[] {
  const out: number[] = [];
  for (let t = span.from; t <= span.to && out.length < max; t += intervalSec) out.push(t);
  return out;
}
