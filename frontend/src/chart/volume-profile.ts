/**
 * Volume profile: volume traded per price bin, drawn as horizontal bars from the right edge
 * of the price pane (the buy share in a second colour). The view computes the rectangles;
 * the renderer fills them.
 */
import type { IPrimitivePaneRenderer, IPrimitivePaneView, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { SeriesPrimitiveBase } from './primitive-base';

export interface ProfileBin { lo: number; hi: number; volume: number; buy: number }
export interface ProfileRect { x: number; y: number; w: number; h: number; buyW: number }

type Target = Parameters<IPrimitivePaneRenderer['draw']>[0];

export function profileRects(bins: readonly ProfileBin[], toY: (p: number) => number | null, paneWidth: number, maxFrac = 0.15): ProfileRect[] {
  const maxV = Math.max(1e-12, ...bins.map((b) => b.volume));
  const maxW = paneWidth * maxFrac;
  const out: ProfileRect[] = [];
  for (const b of bins) {
    const y1 = toY(b.hi), y2 = toY(b.lo);
    if (y1 === null || y2 === null || !(b.volume > 0)) continue;
    const w = (maxW * b.volume) / maxV;
    const y = Math.min(y1, y2), h = Math.max(1, Math.abs(y2 - y1) - 1);
    out.push({ x: paneWidth - w, y, w, h, buyW: (w * Math.max(0, Math.min(b.buy, b.volume))) / b.volume });
  }
  return out;
}

class ProfileRenderer implements IPrimitivePaneRenderer {
  constructor(private readonly rects: ProfileRect[], private readonly colors: { all: string; buy: string }) {}
  draw(): void {}
  drawBackground(target: Target): void {
    target.useMediaCoordinateSpace(({ context: ctx }) => {
      for (const r of this.rects) {
        ctx.fillStyle = this.colors.all;
        ctx.fillRect(r.x, r.y, r.w, r.h);
        ctx.fillStyle = this.colors.buy;
        ctx.fillRect(r.x, r.y, r.buyW, r.h);
      }
    });
  }
}

class ProfileView implements IPrimitivePaneView {
  rects: ProfileRect[] = [];
  colors = { all: '', buy: '' };
  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }
  renderer(): IPrimitivePaneRenderer {
    return new ProfileRenderer(this.rects, this.colors);
  }
}

export class VolumeProfilePrimitive extends SeriesPrimitiveBase {
  private bins: ProfileBin[] = [];
  private readonly view = new ProfileView();
  private readonly views = [this.view];
  constructor(private colors: { all: string; buy: string }) {
    super();
  }
  setBins(bins: ProfileBin[]): void {
    this.bins = bins;
    this.redraw();
  }
  setColors(colors: { all: string; buy: string }): void {
    this.colors = colors;
    this.redraw();
  }
  updateAllViews(): void {
    this.view.rects = profileRects(this.bins, (p) => this.priceToY(p), this.width());
    this.view.colors = this.colors;
  }
  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }
}
