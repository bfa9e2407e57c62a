/**
 * PriceChart: candles and volume in the first pane of the cockpit chart, and the host every
 * overlay and market-structure panel attaches to (children render once the chart exists).
 * Hovering a bar asks the controller for its explanation; a legend shows the values under
 * the cursor (or of the last bar).
 */
import { CandlestickSeries, HistogramSeries, type ISeriesApi } from 'lightweight-charts';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ChartHost } from '../chart/chart-host';
import { DARK, LIGHT } from '../chart/palette';
import { SeriesFeed } from '../chart/series-feed';
import { INTERVAL_MS, type Interval, type Prediction } from '../domain/api-types';
import { candleAt, toCandles, toVolume, volumeAt } from '../domain/points';
import type { BarSeries } from '../domain/series';
import { secToMs, type UnixSec } from '../helpers/units';
import { ChartContext, useCockpit, useCockpitApi } from './context';
import { Legend } from './Legend';

/** How many bar slots the cone takes past the last candle on this interval. */
export function futureSlots(p: Prediction | null, interval: Interval): number {
  if (!p || p.cone.length === 0) return 0;
  return Math.ceil((p.cone[p.cone.length - 1]!.t_ms - p.t_ms) / INTERVAL_MS[interval]);
}

export const CandleSeriesContext = { current: null as ISeriesApi<'Candlestick'> | null };

export function PriceChart({ children }: { children?: ReactNode }) {
  const { controller, store } = useCockpitApi();
  const theme = useCockpit((s) => s.theme);
  const series = useCockpit((s) => s.series);
  const rev = useCockpit((s) => s.seriesRev);
  const load = useCockpit((s) => s.load);
  const loadError = useCockpit((s) => s.loadError);
  const box = useRef<HTMLDivElement>(null);
  const [host, setHost] = useState<ChartHost | null>(null);
  const feeds = useRef<{ candles: SeriesFeed<unknown>; volume: SeriesFeed<unknown> } | null>(null);
  const painted = useRef(-1);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const h = new ChartHost(el, theme === 'dark' ? DARK : LIGHT);
    const p = h.palette;
    const candles = h.chart.addSeries(CandlestickSeries, {
      upColor: p.up, downColor: p.down, wickUpColor: p.up, wickDownColor: p.down, borderVisible: false,
    }, h.paneIndex('price'));
    const volume = h.chart.addSeries(HistogramSeries, {
      priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false,
    }, h.paneIndex('price'));
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    CandleSeriesContext.current = candles;
    const colors = () => ({ up: h.palette.upVolume, down: h.palette.downVolume });
    feeds.current = {
      candles: new SeriesFeed(candles, toCandles, candleAt, h),
      volume: new SeriesFeed(volume, (s: BarSeries) => toVolume(s, colors()), (s: BarSeries, i: number) => volumeAt(s, i, colors()), h),
    };
    h.barCount = () => feeds.current?.candles.chartLength ?? 0;
    const offPalette = h.onPalette((np) => {
      candles.applyOptions({ upColor: np.up, downColor: np.down, wickUpColor: np.up, wickDownColor: np.down });
      feeds.current?.volume.invalidate();
    });
    const offCross = h.onCrosshair((t) => controller.hover(t === null ? null : secToMs(t as UnixSec)));
    // keep the recent bars and the cone in view when the width changes a lot (rotation, phone)
    let lastW = el.clientWidth;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - lastW) > 0.2 * lastW) {
        lastW = w;
        const st = store.getState();
        if (st.series) h.showRecent(futureSlots(st.prediction, st.interval));
      }
    });
    ro.observe(el);
    setHost(h);
    return () => {
      ro.disconnect();
      offPalette();
      offCross();
      feeds.current?.candles.destroy();
      feeds.current?.volume.destroy();
      feeds.current = null;
      CandleSeriesContext.current = null;
      // no setHost(null): this runs on unmount (the controller never changes while mounted),
      // and an update queued for an unmounting component stays in React's update queue with
      // its hook state, this chart host and all its data, until some later render
      h.destroy();
    };
    // the chart is created once; theme changes go through setPalette
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [controller]);

  // The panels (children) added their series, and so their panes, in this commit's effects,
  // which run before this one: the panes get their heights now, not when the data arrives
  // (resizing every pane's canvases then would cost the first paint ~half its time).
  useEffect(() => host?.layoutPanes(), [host]);

  useEffect(() => {
    host?.setPalette(theme === 'dark' ? DARK : LIGHT);
    if (host && feeds.current) feeds.current.volume.feed(series, -2); // recolour volume
  }, [host, theme]); // eslint-disable-line react-hooks/exhaustive-deps

  // Children (panels, overlays) have fed their series in this same commit; this effect runs
  // after theirs, so the next frame shows everything at once.
  useEffect(() => {
    if (!host || !feeds.current) return;
    const did = feeds.current.candles.feed(series, rev);
    feeds.current.volume.feed(series, rev);
    if (did !== 'set') host.ensureBarsVisible(futureSlots(store.getState().prediction, series?.interval ?? '1m'));
    if (did === 'set') {
      performance.mark('cpe:fed');
      host.layoutPanes();
      if (series && series.t.length > 0) host.showRecent(futureSlots(store.getState().prediction, series.interval));
      if (painted.current !== rev && series && series.t.length > 0) {
        painted.current = rev;
        requestAnimationFrame(() => performance.mark('cpe:paint')); // runs after the chart's own frame callback
      }
    }
  }, [host, series, rev]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className="price-chart" data-testid="price-chart">
      <div className="chart-box" ref={box} onContextMenu={(e) => {
        // right-click picks a price level for a new alert (AlertsPanel)
        const c = CandleSeriesContext.current;
        const y = e.clientY - e.currentTarget.getBoundingClientRect().top;
        const price = c?.coordinateToPrice(y);
        if (typeof price === 'number' && Number.isFinite(price)) {
          e.preventDefault();
          store.setState({ alertLevel: Number(price.toPrecision(8)) });
        }
      }} />
      {host && <ChartContext.Provider value={host}>{children}</ChartContext.Provider>}
      <Legend />
      {load === 'loading' && !series && <div className="chart-state">Loading market data…</div>}
      {load === 'error' && (
        <div className="chart-state error" role="alert">
          Market data failed: {loadError}{' '}
          <button onClick={() => void controller.loadMarket()}>Retry</button>
        </div>
      )}
      {load === 'ok' && series && series.t.length === 0 && <div className="chart-state">No bars for this asset and interval in the store.</div>}
    </div>
  );
}
