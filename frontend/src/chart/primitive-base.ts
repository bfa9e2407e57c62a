/** Shared attach/detach plumbing of the series primitives (cone, liquidation bands, volume profile). */
import type { ISeriesApi, ISeriesPrimitive, SeriesAttachedParameter, SeriesType, Time } from 'lightweight-charts';

export abstract class SeriesPrimitiveBase implements ISeriesPrimitive<Time> {
  protected series: ISeriesApi<SeriesType, Time> | null = null;
  protected paneWidth = 0;
  private requestUpdate: (() => void) | null = null;
  private chart: SeriesAttachedParameter<Time>['chart'] | null = null;

  attached(p: SeriesAttachedParameter<Time>): void {
    this.series = p.series;
    this.chart = p.chart;
    this.requestUpdate = p.requestUpdate;
    this.requestUpdate();
  }

  detached(): void {
    this.series = null;
    this.chart = null;
    this.requestUpdate = null;
  }

  protected redraw(): void {
    this.requestUpdate?.();
  }

  protected priceToY(p: number): number | null {
    return this.series?.priceToCoordinate(p) ?? null;
  }

  protected timeScale(): ReturnType<SeriesAttachedParameter<Time>['chart']['timeScale']> | null {
    return this.chart?.timeScale() ?? null;
  }

  protected width(): number {
    return this.chart?.timeScale().width() ?? 0;
  }

  abstract updateAllViews(): void;
}
