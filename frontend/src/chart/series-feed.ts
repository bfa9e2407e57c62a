/**
 * Feed a chart series from the store's BarSeries at the lowest cost: setData when the
 * series was reset (seriesRev changed), otherwise series.update() for the bars from the
 * previously last one to the new end (one update per bar that changed).
 *
 * Progressive first paint: a reset of more bars than the view needs first gives the chart only
 * the newest ones (the anchor's `paintBars()`: what the view shows and a margin, at most
 * `tailBars`), and attaches the whole history in one macrotask after the next frame, for every
 * feed at once (lightweight-charts re-indexes every series on each setData, so ten 10k-bar
 * series cost far more than ten 3k-bar ones; the first frame's own cost grows with them too).
 */
import type { ISeriesApi, SeriesType, Time } from 'lightweight-charts';
import type { BarSeries } from '../domain/series';

export interface FeedState { rev: number; len: number }

/** Feeds waiting for their full history, flushed together once the first frame is out. */
const waiting = new Set<SeriesFeed<unknown>>();
let flushPlanned = false;
function planFlush(): void {
  if (flushPlanned) return;
  flushPlanned = true;
  requestAnimationFrame(() => setTimeout(() => {
    flushPlanned = false;
    const feeds = [...waiting];
    waiting.clear();
    // per chart: attach every feed's history while keeping the view's right edge in place
    const byAnchor = new Map<ViewAnchor | null, SeriesFeed<unknown>[]>();
    for (const f of feeds) byAnchor.set(f.anchor, [...(byAnchor.get(f.anchor) ?? []), f]);
    for (const [anchor, group] of byAnchor) {
      const attach = () => group.forEach((f) => f.attachFull());
      if (anchor) anchor.keepRightEdge(attach); else attach();
    }
    if (feeds.length > 0 && typeof performance !== 'undefined') {
      performance.mark('cpe:full');
      requestAnimationFrame(() => performance.mark('cpe:full-paint'));
    }
  }, 0));
}

export const DEFAULT_TAIL_BARS = 3000;

/**
 * The chart a feed draws into: prepending history must not move what the user sees, and the
 * first frame needs only the newest `paintBars()` bars (every feed of a chart asks at once, so
 * they all give the chart the same span).
 */
export interface ViewAnchor { keepRightEdge(change: () => void): void; paintBars?(): number }

export class SeriesFeed<P> {
  private state: FeedState = { rev: -1, len: 0 };
  private latest: BarSeries | null = null;
  private partial = 0; // bars the chart holds while the history waits (0: it has all of them)
  private alive = true;

  constructor(
    private readonly series: ISeriesApi<SeriesType, Time>,
    private readonly all: (s: BarSeries) => P[],
    private readonly at: (s: BarSeries, i: number) => P,
    readonly anchor: ViewAnchor | null = null,
    private readonly tailBars = DEFAULT_TAIL_BARS,
  ) {}

  /** How many points the chart series holds now (the tail during a progressive paint). */
  get chartLength(): number {
    if (!this.latest) return 0;
    return this.partial ? Math.min(this.partial, this.latest.t.length) : this.latest.t.length;
  }

  /** Returns 'set' | 'update' | 'none' (what was done). */
  feed(s: BarSeries | null, rev: number): 'set' | 'update' | 'none' {
    if (!this.alive) return 'none';
    this.latest = s;
    if (!s) {
      waiting.delete(this as SeriesFeed<unknown>);
      if (this.state.len > 0) { this.series.setData([]); this.state = { rev, len: 0 }; return 'set'; }
      return 'none';
    }
    // the store bumps rev whenever history changed (new asset/interval, gap fill, trim)
    if (rev !== this.state.rev || s.t.length < this.state.len) {
      const n = s.t.length;
      const want = Math.max(1, Math.min(this.tailBars, Math.ceil(this.anchor?.paintBars?.() ?? this.tailBars)));
      if (n > want) {
        // only the tail's points are built now; the rest when the history is attached
        const tail = new Array<P>(want);
        for (let i = n - want, k = 0; i < n; i++, k++) tail[k] = this.at(s, i);
        this.series.setData(tail as never);
        this.partial = want;
        waiting.add(this as SeriesFeed<unknown>);
        planFlush();
      } else {
        this.series.setData(this.all(s) as never);
        this.partial = 0;
        waiting.delete(this as SeriesFeed<unknown>);
      }
      this.state = { rev, len: s.t.length };
      return 'set';
    }
    const from = Math.max(0, this.state.len - 1);
    for (let i = from; i < s.t.length; i++) this.series.update(this.at(s, i) as never);
    this.state = { rev, len: s.t.length };
    return s.t.length > from ? 'update' : 'none';
  }

  /** Give the chart the whole history (after a progressive first paint). */
  attachFull(): void {
    if (!this.alive || !this.partial || !this.latest) return;
    const s = this.latest;
    this.series.setData(this.all(s) as never);
    this.partial = 0;
    this.state = { rev: this.state.rev, len: s.t.length };
  }

  /** Force the next feed to setData (after a style change that needs it). */
  invalidate(): void {
    this.state = { rev: -1, len: 0 };
  }

  /** Stop feeding (the series is being removed). */
  destroy(): void {
    this.alive = false;
    this.latest = null;
    waiting.delete(this as SeriesFeed<unknown>);
  }
}
