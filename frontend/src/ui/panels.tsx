/**
 * Market-structure panels, each a pane of the cockpit chart below the candles (one time
 * axis, one crosshair): OIPanel, FundingPanel, CVDPanel, LiquidationsPanel (long / short).
 */
import { HistogramSeries, LineSeries, type ISeriesApi, type SeriesType } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import type { ChartHost, PaneName } from '../chart/chart-host';
import type { Palette } from '../chart/palette';
import { SeriesFeed } from '../chart/series-feed';
import { liqAt, toLine, valueAt, type ValuePoint } from '../domain/points';
import type { BarSeries } from '../domain/series';
import { useChartHost, useCockpit } from './context';

interface PaneSeriesSpec {
  pane: PaneName;
  make(host: ChartHost, pane: number): ISeriesApi<SeriesType>;
  restyle(s: ISeriesApi<SeriesType>, p: Palette): void;
  all(s: BarSeries, p: Palette): ValuePoint[];
  at(s: BarSeries, i: number, p: Palette): ValuePoint;
}

/** Attach one series per spec to its pane; feed it from the store; remove on unmount. */
function usePaneSeries(specs: readonly PaneSeriesSpec[]): void {
  const host = useChartHost();
  const series = useCockpit((s) => s.series);
  const rev = useCockpit((s) => s.seriesRev);
  const feeds = useRef<SeriesFeed<ValuePoint>[]>([]);
  useEffect(() => {
    const made = specs.map((sp) => sp.make(host, host.paneIndex(sp.pane)));
    feeds.current = made.map((s, k) => new SeriesFeed<ValuePoint>(s, (b) => specs[k]!.all(b, host.palette), (b, i) => specs[k]!.at(b, i, host.palette), host));
    const off = host.onPalette((p) => { made.forEach((s, k) => specs[k]!.restyle(s, p)); feeds.current.forEach((f) => f.invalidate()); });
    return () => { off(); feeds.current.forEach((f) => f.destroy()); feeds.current = []; if (host.alive) made.forEach((s) => host.chart.removeSeries(s)); };
  }, [host, specs]);
  useEffect(() => { for (const f of feeds.current) f.feed(series, rev); });
}

const line = (pane: PaneName, title: string, color: (p: Palette) => string, col: (s: BarSeries) => readonly (number | null)[]): PaneSeriesSpec => ({
  pane,
  make: (h, idx) => h.chart.addSeries(LineSeries, { color: color(h.palette), lineWidth: 1, title, priceLineVisible: false, priceFormat: { type: 'volume' } }, idx),
  restyle: (s, p) => s.applyOptions({ color: color(p) }),
  all: (s) => toLine(s, col(s)),
  at: (s, i) => valueAt(s, col(s), i),
});

const OI_SPECS = [line('oi', 'OI', (p) => p.oi, (s) => s.oi)];
const CVD_SPECS = [line('cvd', 'CVD', (p) => p.cvd, (s) => s.cvd)];

const fundingPoint = (s: BarSeries, i: number, p: Palette): ValuePoint => {
  const v = valueAt(s, s.funding, i, 100);
  return v.value === undefined ? v : { ...v, color: v.value >= 0 ? p.fundingPos : p.fundingNeg };
};
const FUNDING_SPECS: PaneSeriesSpec[] = [{
  pane: 'funding',
  make: (h, idx) => h.chart.addSeries(HistogramSeries, { title: 'funding %', priceLineVisible: false, priceFormat: { type: 'price', precision: 4, minMove: 0.0001 } }, idx),
  restyle: () => {},
  all: (s, p) => s.t.map((_, i) => fundingPoint(s, i, p)),
  at: fundingPoint,
}];

const liqSpec = (side: 'long' | 'short'): PaneSeriesSpec => ({
  pane: 'liquidations',
  make: (h, idx) => h.chart.addSeries(HistogramSeries, {
    title: side === 'long' ? 'liq long' : 'liq short', color: side === 'long' ? h.palette.down : h.palette.up,
    priceLineVisible: false, lastValueVisible: false, priceFormat: { type: 'volume' },
  }, idx),
  restyle: (s, p) => s.applyOptions({ color: side === 'long' ? p.down : p.up }),
  all: (s) => s.t.map((_, i) => liqAt(s, i, side)),
  at: (s, i) => liqAt(s, i, side),
});
const LIQ_SPECS = [liqSpec('long'), liqSpec('short')];

export function OIPanel() { usePaneSeries(OI_SPECS); return null; }
export function FundingPanel() { usePaneSeries(FUNDING_SPECS); return null; }
export function CVDPanel() { usePaneSeries(CVD_SPECS); return null; }
export function LiquidationsPanel() { usePaneSeries(LIQ_SPECS); return null; }
