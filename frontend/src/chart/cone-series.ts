/**
 * PredictionCone as a lightweight-charts custom series. Its points carry future timestamps
 * {time, median, lo1, hi1, lo2, hi2}, so the time axis extends past the last candle and
 * autoscale includes the 2σ band. The view (coneGeometry) turns data into pixel
 * coordinates; the renderer only fills and strokes those coordinates.
 */
import type {
  CustomData, CustomSeriesOptions, CustomSeriesPricePlotValues, ICustomSeriesPaneRenderer, ICustomSeriesPaneView,
  PaneRendererCustomData, PriceToCoordinateConverter, Time, WhitespaceData,
} from 'lightweight-charts';
import { customSeriesDefaultOptions } from 'lightweight-charts';

export interface ConeData extends CustomData<Time> { median: number; lo1: number; hi1: number; lo2: number; hi2: number }
export interface ConeOptions extends CustomSeriesOptions { medianColor: string; band1Color: string; band2Color: string; medianWidth: number }

export interface ConeGeometry { x: number[]; med: number[]; lo1: number[]; hi1: number[]; lo2: number[]; hi2: number[] }

type RenderTarget = Parameters<ICustomSeriesPaneRenderer['draw']>[0];

/** View: data items with their x → pixel coordinates (skips points the converter cannot place). */
export function coneGeometry(bars: PaneRendererCustomData<Time, ConeData>['bars'], toY: (p: number) => number | null): ConeGeometry {
  const g: ConeGeometry = { x: [], med: [], lo1: [], hi1: [], lo2: [], hi2: [] };
  for (const b of bars) {
    const d = b.originalData;
    const ys = [toY(d.median), toY(d.lo1), toY(d.hi1), toY(d.lo2), toY(d.hi2)];
    if (ys.some((y) => y === null)) continue;
    g.x.push(b.x); g.med.push(ys[0]!); g.lo1.push(ys[1]!); g.hi1.push(ys[2]!); g.lo2.push(ys[3]!); g.hi2.push(ys[4]!);
  }
  return g;
}

class ConeRenderer implements ICustomSeriesPaneRenderer {
  data: PaneRendererCustomData<Time, ConeData> | null = null;
  options: ConeOptions | null = null;

  draw(target: RenderTarget, priceToY: PriceToCoordinateConverter): void {
    const data = this.data, o = this.options;
    if (!data || !o || data.bars.length < 2) return;
    const g = coneGeometry(data.bars, (p) => priceToY(p));
    if (g.x.length < 2) return;
    target.useMediaCoordinateSpace(({ context: ctx }) => {
      band(ctx, g.x, g.hi2, g.lo2, o.band2Color);
      band(ctx, g.x, g.hi1, g.lo1, o.band1Color);
      ctx.beginPath();
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = o.medianWidth;
      ctx.strokeStyle = o.medianColor;
      g.x.forEach((x, i) => (i === 0 ? ctx.moveTo(x, g.med[i]!) : ctx.lineTo(x, g.med[i]!)));
      ctx.stroke();
      ctx.setLineDash([]);
    });
  }
}

function band(ctx: CanvasRenderingContext2D, x: number[], top: number[], bottom: number[], color: string): void {
  ctx.beginPath();
  for (let i = 0; i < x.length; i++) (i === 0 ? ctx.moveTo(x[i]!, top[i]!) : ctx.lineTo(x[i]!, top[i]!));
  for (let i = x.length - 1; i >= 0; i--) ctx.lineTo(x[i]!, bottom[i]!);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
}

export class ConeSeriesView implements ICustomSeriesPaneView<Time, ConeData, ConeOptions> {
  private readonly r = new ConeRenderer();
  renderer(): ConeRenderer {
    return this.r;
  }
  update(data: PaneRendererCustomData<Time, ConeData>, options: ConeOptions): void {
    this.r.data = data;
    this.r.options = options;
  }
  priceValueBuilder(d: ConeData): CustomSeriesPricePlotValues {
    return [d.lo2, d.hi2, d.median];
  }
  isWhitespace(d: ConeData | WhitespaceData<Time>): d is WhitespaceData<Time> {
    return (d as Partial<ConeData>).median === undefined;
  }
  defaultOptions(): ConeOptions {
    return { ...customSeriesDefaultOptions, medianColor: '#f5c542', band1Color: 'rgba(245,197,66,0.28)', band2Color: 'rgba(245,197,66,0.12)', medianWidth: 2 };
  }
  destroy(): void {
    this.r.data = null;
  }
}
