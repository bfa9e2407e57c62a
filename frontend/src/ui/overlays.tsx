/**
 * Overlays on the price pane, each a component that attaches its series or primitive to
 * the chart on mount and removes it on unmount: PredictionConeOverlay, LiquidationBands,
 * SupportResistance, BasisOverlay, VolumeProfile, TradeMarkers.
 */
import { createSeriesMarkers, LineSeries, type IPriceLine, type ISeriesApi, type SeriesMarker, type Time } from 'lightweight-charts';
import { useEffect, useMemo, useRef, type RefObject } from 'react';
import { ConePrimitive, futureSlotsPlan, slotSlack, slotTimes, type SlotSpan } from '../chart/cone-primitive';
import { LiquidationBandsPrimitive } from '../chart/liquidation-bands';
import type { Palette } from '../chart/palette';
import type { SeriesPrimitiveBase } from '../chart/primitive-base';
import { SeriesFeed } from '../chart/series-feed';
import { VolumeProfilePrimitive } from '../chart/volume-profile';
import { INTERVAL_MS } from '../domain/api-types';
import { hindsightPoints } from '../domain/hindsight';
import { comparedRuns, RUN_LABELS, runsOfSymbol } from '../domain/runs';
import { coneToPoints, toLine, valueAt } from '../domain/points';
import type { BarSeries } from '../domain/series';
import { msToSec, unixMs, type UnixSec } from '../helpers/units';
import { chartTime } from '../chart/time';
import { useChartHost, useCockpit, useCockpitApi } from './context';
import { CandleSeriesContext, futureSlots } from './PriceChart';

function candles(): ISeriesApi<'Candlestick'> | null {
  return CandleSeriesContext.current;
}

/**
 * The cone: a primitive on the candles (a prediction update is one redraw, no series data) and
 * a whitespace-only series giving the time scale the future slots (axis labels, the crosshair's
 * time and the legend over the cone), changed only when the cone outgrows it (futureSlotsPlan).
 */
export function PredictionConeOverlay() {
  const host = useChartHost();
  const { store } = useCockpitApi();
  const prediction = useCockpit((s) => s.prediction);
  const interval = useCockpit((s) => s.interval);
  const visible = useCockpit((s) => s.layers.cone);
  const rev = useCockpit((s) => s.seriesRev);
  const len = useCockpit((s) => s.series?.t.length ?? 0);
  const slots = useRef(-1);
  const span = useRef<SlotSpan | null>(null);
  const points = useMemo(() => (prediction && visible ? coneToPoints(prediction, INTERVAL_MS[interval]) : []), [prediction, interval, visible]);
  const cone = useCandlePrimitive(
    (p) => new ConePrimitive({ median: p.cone, band1: p.coneBand1, band2: p.coneBand2, medianWidth: 2 }),
    (prim, p) => prim.setColors({ median: p.cone, band1: p.coneBand1, band2: p.coneBand2, medianWidth: 2 }),
  );
  const future = useRef<ISeriesApi<'Line'> | null>(null);

  useEffect(() => {
    const s = host.chart.addSeries(LineSeries, {
      lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false, title: '',
    }, host.paneIndex('price'));
    future.current = s;
    return () => { future.current = null; span.current = null; if (host.alive) host.chart.removeSeries(s); };
  }, [host]);

  // the time scale's future slots: kept while they fit, so most updates leave every series alone
  useEffect(() => {
    const s = future.current;
    if (!s) return;
    const st = store.getState().series;
    const lastT = st && st.t.length > 0 && st.interval === interval ? msToSec(st.t[st.t.length - 1]!) : null;
    const end = points.length > 0 ? points[points.length - 1]!.time : null;
    const step = INTERVAL_MS[interval] / 1000;
    const plan = futureSlotsPlan(span.current, lastT, end, step, slotSlack(points.length));
    if (plan === 'keep') return;
    span.current = plan;
    s.setData(plan ? slotTimes(plan, step).map((t) => ({ time: chartTime(t as UnixSec) })) : []);
  }, [points, rev, len]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    cone.current?.setPoints(points, INTERVAL_MS[interval] / 1000);
    // re-frame the view when the cone's length changes (first cone, horizon or interval switch)
    const n = futureSlots(prediction, interval);
    const bars = store.getState().series?.t.length ?? 0;
    if (visible && n !== slots.current && bars > 0) { slots.current = n; host.showRecent(n); } else host.ensureBarsVisible(n);
  }, [points]); // eslint-disable-line react-hooks/exhaustive-deps
  return null;
}

/** Attach a series primitive to the candles for the component's lifetime; restyle on theme change. */
function useCandlePrimitive<P extends SeriesPrimitiveBase>(make: (p: Palette) => P, restyle: (prim: P, p: Palette) => void): RefObject<P | null> {
  const host = useChartHost();
  const ref = useRef<P | null>(null);
  useEffect(() => {
    const c = candles();
    if (!c) return;
    const prim = make(host.palette);
    c.attachPrimitive(prim);
    ref.current = prim;
    const off = host.onPalette((p) => restyle(prim, p));
    return () => { off(); ref.current = null; if (host.alive) c.detachPrimitive(prim); };
  }, [host]); // eslint-disable-line react-hooks/exhaustive-deps
  return ref;
}

export function LiquidationBands() {
  const clusters = useCockpit((s) => s.extras.liqClusters);
  const visible = useCockpit((s) => s.layers.liquidations);
  const ref = useCandlePrimitive((p) => new LiquidationBandsPrimitive({ long: p.liqLong, short: p.liqShort }), (prim, p) => prim.setColors({ long: p.liqLong, short: p.liqShort }));
  useEffect(() => {
    ref.current?.setBands(visible ? clusters.map((b) => ({ lo: b.price_lo, hi: b.price_hi, intensity: b.intensity, side: b.side })) : []);
  }, [clusters, visible, ref]);
  return null;
}

export function VolumeProfile() {
  const bins = useCockpit((s) => s.extras.volumeProfile);
  const visible = useCockpit((s) => s.layers.volumeProfile);
  const ref = useCandlePrimitive((p) => new VolumeProfilePrimitive({ all: p.profile, buy: p.profileBuy }), (prim, p) => prim.setColors({ all: p.profile, buy: p.profileBuy }));
  useEffect(() => {
    ref.current?.setBins(visible ? bins.map((b) => ({ lo: b.price_lo, hi: b.price_hi, volume: b.volume, buy: b.buy_volume ?? 0 })) : []);
  }, [bins, visible, ref]);
  return null;
}

export function SupportResistance() {
  const host = useChartHost();
  const levels = useCockpit((s) => s.extras.levels);
  const visible = useCockpit((s) => s.layers.levels);
  const theme = useCockpit((s) => s.theme);
  useEffect(() => {
    const c = candles();
    if (!c || !visible) return;
    const lines: IPriceLine[] = levels.map((l) => c.createPriceLine({
      price: l.price, color: l.kind === 'support' ? host.palette.support : host.palette.resistance,
      lineWidth: l.strength > 0.66 ? 2 : 1, lineStyle: 2, axisLabelVisible: true, title: l.kind === 'support' ? 'S' : 'R',
    }));
    return () => { if (host.alive) lines.forEach((pl) => c.removePriceLine(pl)); };
  }, [host, levels, visible, theme]);
  return null;
}

export function BasisOverlay() {
  const host = useChartHost();
  const series = useCockpit((s) => s.series);
  const rev = useCockpit((s) => s.seriesRev);
  const visible = useCockpit((s) => s.layers.basis);
  const feed = useRef<SeriesFeed<unknown> | null>(null);
  const line = useRef<ISeriesApi<'Line'> | null>(null);
  useEffect(() => {
    const s = host.chart.addSeries(LineSeries, {
      priceScaleId: 'left', color: host.palette.basis, lineWidth: 1, title: 'basis',
      priceFormat: { type: 'custom', formatter: (v: number) => `${v.toFixed(3)}%`, minMove: 0.0001 }, lastValueVisible: true, priceLineVisible: false,
    }, host.paneIndex('price'));
    // a thin band at the top of the price pane, its axis on the left
    host.chart.applyOptions({ leftPriceScale: { visible: true, scaleMargins: { top: 0.04, bottom: 0.8 } } });
    line.current = s;
    // basis is a fraction; the 'percent' price format wants percent points
    feed.current = new SeriesFeed(s, (b: BarSeries) => toLine(b, b.basis, 100), (b: BarSeries, i: number) => valueAt(b, b.basis, i, 100), host);
    const off = host.onPalette((p) => s.applyOptions({ color: p.basis }));
    return () => { off(); feed.current?.destroy(); feed.current = null; line.current = null; if (host.alive) { host.chart.removeSeries(s); host.chart.applyOptions({ leftPriceScale: { visible: false } }); } };
  }, [host]);
  useEffect(() => { line.current?.applyOptions({ visible }); }, [visible]);
  useEffect(() => { feed.current?.feed(series, rev); }, [series, rev]);
  return null;
}

/** Backtest trades, hindsight (ideal) entries/exits and, in a replay, where the alert rules
 * would have fired, as markers on the candles. */
export function TradeMarkers() {
  const host = useChartHost();
  const series = useCockpit((s) => s.series);
  const rev = useCockpit((s) => s.seriesRev);
  const view = useCockpit((s) => s.backtest.view);
  const runs = useCockpit((s) => s.runs);
  const symbol = useCockpit((s) => s.assets.find((a) => a.asset === s.asset)?.symbol ?? null);
  const compared = useMemo(() => comparedRuns(runs), [runs]);
  const marked = useMemo(() => runsOfSymbol(compared, symbol), [compared, symbol]);
  const showHindsight = useCockpit((s) => s.layers.hindsight);
  const replayAlerts = useCockpit((s) => s.replay.alerts);
  const theme = useCockpit((s) => s.theme);
  const len = series?.t.length ?? 0;
  // a backtest result's own hindsight points (its period, 1m bars) win; otherwise computed from
  // the chart's bars, recomputed when the series is reset or grows by a bar, not on every tick
  const hindsight = useMemo(() => {
    if (!series || !showHindsight) return [];
    return view && view.hindsight.length > 0 ? view.hindsight : hindsightPoints(series, 0.01);
  }, [showHindsight, rev, len, view]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    const c = candles();
    if (!c) return;
    const p = host.palette;
    const first = series?.t[0] ?? 0;
    const markers: SeriesMarker<Time>[] = [];
    for (const tr of view?.trades ?? []) {
      if (tr.entryT < first) continue;
      markers.push({ time: chartTime(msToSec(barStart(tr.entryT, series))), position: tr.side === 'long' ? 'belowBar' : 'aboveBar', shape: tr.side === 'long' ? 'arrowUp' : 'arrowDown', color: p.up, text: tr.side === 'long' ? 'L' : 'S' });
      if (tr.exitT !== null) markers.push({ time: chartTime(msToSec(barStart(tr.exitT, series))), position: tr.side === 'long' ? 'aboveBar' : 'belowBar', shape: 'circle', color: p.down, text: 'x' });
    }
    // the compared saved runs' trades, labelled with the run (A, B) and in its curve's colour,
    // and each run's own hindsight (ideal) entries
    marked.forEach((r) => {
      const i = compared.indexOf(r); // its label and colour in the comparison
      const label = RUN_LABELS[i % 2], color = i ? p.equityB : p.equity;
      for (const tr of r.view.trades) {
        if (tr.entryT < first) continue;
        markers.push({ time: chartTime(msToSec(barStart(tr.entryT, series))), position: tr.side === 'long' ? 'belowBar' : 'aboveBar', shape: tr.side === 'long' ? 'arrowUp' : 'arrowDown', color, text: `${label} ${tr.side === 'long' ? 'L' : 'S'}` });
        if (tr.exitT !== null) markers.push({ time: chartTime(msToSec(barStart(tr.exitT, series))), position: tr.side === 'long' ? 'aboveBar' : 'belowBar', shape: 'circle', color, text: `${label} x` });
      }
      for (const h of r.view.hindsight) {
        if (h.t < first || h.kind !== 'entry') continue;
        markers.push({ time: chartTime(msToSec(barStart(h.t, series))), position: 'belowBar', shape: 'arrowUp', color: p.entry, text: `${label} ideal buy` });
      }
    });
    for (const h of hindsight) {
      if (h.t < first) continue;
      markers.push({ time: chartTime(msToSec(barStart(h.t, series))), position: h.kind === 'entry' ? 'belowBar' : 'aboveBar', shape: h.kind === 'entry' ? 'arrowUp' : 'arrowDown', color: h.kind === 'entry' ? p.entry : p.exit, text: h.kind === 'entry' ? 'ideal buy' : 'ideal sell' });
    }
    // where the alert rules would have fired in a replay (the bar that closed at t)
    for (const a of replayAlerts) {
      if (a.t <= first) continue;
      markers.push({ time: chartTime(msToSec(barStart(unixMs(a.t - 1), series))), position: 'aboveBar', shape: 'square', color: p.cone, text: `alert ${a.rule_id}` });
    }
    markers.sort((a, b) => (a.time as number) - (b.time as number));
    const plugin = createSeriesMarkers(c, markers);
    return () => { if (host.alive) plugin.detach(); };
  }, [host, view, hindsight, theme, marked, replayAlerts]); // eslint-disable-line react-hooks/exhaustive-deps
  return null;
}

/** The open time of the chart bar holding t (markers must sit on an existing bar). */
function barStart<T extends number>(t: T, s: BarSeries | null): T {
  if (!s) return t;
  const ms = INTERVAL_MS[s.interval];
  return (Math.floor(t / ms) * ms) as T;
}
