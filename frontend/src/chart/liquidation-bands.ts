/**
 * LiquidationBands: horizontal heat bands of liquidation clusters by price, drawn behind the
 * candles (zOrder 'bottom'). The view maps clusters to pixel rectangles; the renderer fills them.
 */
import type { IPrimitivePaneRenderer, IPrimitivePaneView, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { SeriesPrimitiveBase } from './primitive-base';

export interface PriceBand { lo: number; hi: number; intensity: number; side: 'long' | 'short' }
export interface BandRect { y: number; h: number; alpha: number; rgb: string }

type Target = Parameters<IPrimitivePaneRenderer['draw']>[0];

/** View math: clusters → rectangles (at least 1 px tall), alpha ∝ intensity (0.04..0.22). */
export function bandRects(bands: readonly PriceBand[], toY: (p: number) => number | null, rgb: { long: string; short: string }): BandRect[] {
  const max = Math.max(1e-12, ...bands.map((b) => b.intensity));
  const out: BandRect[] = [];
  for (const b of bands) {
    const y1 = toY(b.hi), y2 = toY(b.lo);
    if (y1 === null || y2 === null) continue;
    const y = Math.min(y1, y2), h = Math.max(1, Math.abs(y2 - y1));
    out.push({ y, h, alpha: 0.04 + 0.18 * Math.max(0, b.intensity) / max, rgb: b.side === 'long' ? rgb.long : rgb.short });
  }
  return out;
}

class BandsRenderer implements IPrimitivePaneRenderer {
  constructor(private readonly rects: BandRect[], private readonly width: number) {}
  draw(): void {}
  drawBackground(target: Target): void {
    target.useMediaCoordinateSpace(({ context: ctx }) => {
      for (const r of this.rects) {
        ctx.fillStyle = `rgba(${r.rgb},${r.alpha.toFixed(3)})`;
        ctx.fillRect(0, r.y, this.width, r.h);
      }
    });
  }
}

class BandsView implements IPrimitivePaneView {
  rects: BandRect[] = [];
  width = 0;
  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }
  renderer(): IPrimitivePaneRenderer {
    return new BandsRenderer(this.rects, this.width);
  }
}

export class LiquidationBandsPrimitive extends SeriesPrimitiveBase {
  private bands: PriceBand[] = [];
  private readonly view = new BandsView();
  private readonly views = [this.view];
  constructor(private rgb: { long: string; short: string }) {
    super();
  }
  setBands(bands: PriceBand[]): void {
    this.bands = bands;
    this.redraw();
  }
  setColors(rgb: { long: string; short: string }): void {
    this.rgb = rgb;
    this.redraw();
  }
  updateAllViews(): void {
    this.view.rects = bandRects(this.bands, (p) => this.priceToY(p), this.rgb);
    this.view.width = this.width();
  }
  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }
}
