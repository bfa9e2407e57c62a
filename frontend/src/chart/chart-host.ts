/**
 * ChartHost: one lightweight-charts chart with a fixed pane order, so every panel shares
 * the time axis (and the crosshair) with the candles. Overlays and panels attach series to
 * a named pane and detach them on destroy; the host fans out crosshair moves and theme
 * changes. destroy() removes the chart (and its canvases) from the page.
 */
import {
  createChart, CrosshairMode, type IChartApi, type MouseEventParams, type Time, type DeepPartial, type ChartOptions,
} from 'lightweight-charts';
import { liveCounters } from '../helpers/counters';
import type { Palette } from './palette';
import type { ViewAnchor } from './series-feed';

export const PANES = { price: 0, oi: 1, funding: 2, cvd: 3, liquidations: 4 } as const;
export type PaneName = keyof typeof PANES;
/** Relative pane heights. */
const STRETCH: Record<PaneName, number> = { price: 5, oi: 1, funding: 1, cvd: 1, liquidations: 1 };

export type CrosshairListener = (time: number | null, p: MouseEventParams<Time>) => void;
export type PaletteListener = (p: Palette) => void;

/** Price axis widths in px that the usual labels fit (11 px font). */
const PRICE_AXIS_PX = 84;
const BASIS_AXIS_PX = 72;

/** The time scale's minimum bar spacing in px (lightweight-charts' default). */
const MIN_BAR_SPACING = 0.5;

export function chartOptions(p: Palette): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: {
      background: { color: p.background }, textColor: p.text, attributionLogo: true, fontSize: 11,
      panes: { separatorColor: p.border, separatorHoverColor: p.crosshair, enableResize: true },
    },
    grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
    // Axes as wide as their labels will be (BTC's "108,246.35", the basis "-0.123%"): when the
    // first data widened them, every pane's canvases were re-allocated in the first frame.
    rightPriceScale: { borderColor: p.border, minimumWidth: PRICE_AXIS_PX },
    leftPriceScale: { borderColor: p.border, minimumWidth: BASIS_AXIS_PX },
    timeScale: { borderColor: p.border, timeVisible: true, secondsVisible: false, rightOffset: 4, minBarSpacing: MIN_BAR_SPACING },
    crosshair: { mode: CrosshairMode.Normal, vertLine: { color: p.crosshair }, horzLine: { color: p.crosshair } },
  };
}

export class ChartHost implements ViewAnchor {
  readonly chart: IChartApi;
  private crosshair = new Set<CrosshairListener>();
  private paletteListeners = new Set<PaletteListener>();
  private destroyed = false;
  private readonly onMove = (p: MouseEventParams<Time>) => {
    const t = typeof p.time === 'number' ? p.time : null;
    for (const l of this.crosshair) l(t, p);
  };

  constructor(container: HTMLElement, public palette: Palette) {
    this.chart = createChart(container, chartOptions(palette));
    this.chart.subscribeCrosshairMove(this.onMove);
    liveCounters.inc('charts');
  }

  /** Points of the main (candle) series in the chart; logical indices count these. */
  barCount: () => number = () => 0;
  /** The cone's slots the last framing made room for. */
  private futureSlots = 0;

  paneIndex(name: PaneName): number {
    return PANES[name];
  }

  /** Give panes their relative heights once their series exist. */
  layoutPanes(): void {
    const panes = this.chart.panes();
    for (const [name, idx] of Object.entries(PANES) as [PaneName, number][]) panes[idx]?.setStretchFactor(STRETCH[name]);
  }

  /**
   * Show the last bars and the future slots (the cone) together: at least 150 bars of
   * history, or 1.5× the future, whichever is more (all of it when there is less).
   */
  showRecent(futureSlots: number): void {
    this.futureSlots = futureSlots;
    const barCount = this.barCount();
    if (this.destroyed || barCount === 0) return;
    const last = barCount - 1;
    const { hist, future } = this.framing(futureSlots);
    // a short history (e.g. 1d bars of a few days) starts at the first bar instead of blank space
    this.chart.timeScale().setVisibleLogicalRange({ from: Math.max(-1, last - hist), to: last + future });
  }

  /** Bars of history and future slots the recent view shows. */
  private framing(futureSlots: number): { hist: number; future: number } {
    let hist = Math.max(150, futureSlots * 1.5);
    let future = futureSlots + 4;
    // A narrow chart (a phone) cannot space that many slots at the minimum bar spacing: the
    // chart would show only the right end (the cone, no bar). Give the bars 60 % of what fits.
    const fit = Math.floor(this.chart.timeScale().width() / MIN_BAR_SPACING);
    if (fit > 0 && hist + future > fit) {
      future = Math.min(future, Math.floor(fit * 0.4));
      hist = fit - future;
    }
    return { hist, future };
  }

  /**
   * How many of the newest bars the first frame of a new history needs: what the recent view
   * shows (for the cone framed last) and as many again, at least 500 (the rest follows one
   * macrotask later, SeriesFeed).
   */
  paintBars(): number {
    return Math.max(500, Math.ceil(2 * this.framing(this.futureSlots).hist));
  }

  /**
   * Run a change that prepends history (the progressive paint attaching it one frame after
   * the first paint): afterwards the view is framed again on the recent bars and the cone, as
   * it was (lightweight-charts sometimes keeps the logical range, sometimes the right edge).
   */
  keepRightEdge(change: () => void): void {
    change();
    if (!this.destroyed) this.showRecent(this.futureSlots);
  }

  /** A view that shows no bar at all (only the cone's future, or nothing) is re-framed. */
  ensureBarsVisible(futureSlots = this.futureSlots): void {
    if (this.destroyed) return;
    const n = this.barCount();
    const r = this.chart.timeScale().getVisibleLogicalRange();
    if (n > 0 && r && (r.from > n - 1 || r.to < 0)) this.showRecent(futureSlots);
  }

  onCrosshair(l: CrosshairListener): () => void {
    this.crosshair.add(l);
    return () => this.crosshair.delete(l);
  }

  onPalette(l: PaletteListener): () => void {
    this.paletteListeners.add(l);
    return () => this.paletteListeners.delete(l);
  }

  setPalette(p: Palette): void {
    if (this.destroyed || p === this.palette) return;
    this.palette = p;
    this.chart.applyOptions(chartOptions(p));
    for (const l of this.paletteListeners) l(p);
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chart.unsubscribeCrosshairMove(this.onMove);
    this.crosshair.clear();
    this.paletteListeners.clear();
    this.chart.remove();
    liveCounters.dec('charts');
  }
}
