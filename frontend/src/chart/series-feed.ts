/**
 * Feed a chart series from the store's BarSeries at the lowest cost: setData when the
 * series was reset (seriesRev changed), otherwise series.update() for the bars from the
 * previously last one to the new end (one update per bar that changed).
 */
import type { ISeriesApi, SeriesType, Time } from 'lightweight-charts';
import type { BarSeries } from '../domain/series';

export interface FeedState { rev: number; len: number; firstT: number | null }

export class SeriesFeed<P> {
  private state: FeedState = { rev: -1, len: 0, firstT: null };
  constructor(
    private readonly series: ISeriesApi<SeriesType, Time>,
    private readonly all: (s: BarSeries) => P[],
    private readonly at: (s: BarSeries, i: number) => P,
  ) {}

  /** Returns 'set' | 'update' | 'none' (what was done). */
  feed(s: BarSeries | null, rev: number): 'set' | 'update' | 'none' {
    if (!s) {
      if (this.state.len > 0) { this.series.setData([]); this.state = { rev, len: 0, firstT: null }; return 'set'; }
      return 'none';
    }
    const firstT = s.t.length > 0 ? s.t[0]! : null;
    if (rev !== this.state.rev || firstT !== this.state.firstT || s.t.length < this.state.len) {
      this.series.setData(this.all(s) as never);
      this.state = { rev, len: s.t.length, firstT };
      return 'set';
    }
    const from = Math.max(0, this.state.len - 1);
    for (let i = from; i < s.t.length; i++) this.series.update(this.at(s, i) as never);
    this.state = { rev, len: s.t.length, firstT };
    return s.t.length > from ? 'update' : 'none';
  }

  /** Force the next feed to setData (after a style change that needs it). */
  invalidate(): void {
    this.state = { rev: -1, len: 0, firstT: null };
  }
}
