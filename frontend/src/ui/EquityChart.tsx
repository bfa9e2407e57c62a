/** Backtest equity curve (top pane) and drawdown (bottom pane) on one time axis. */
import { AreaSeries, LineSeries } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import { ChartHost } from '../chart/chart-host';
import { DARK, LIGHT } from '../chart/palette';
import { chartTime } from '../chart/time';
import type { CurvePoint } from '../domain/backtest';
import { msToSec } from '../helpers/units';
import { useCockpit } from './context';

const pts = (c: readonly CurvePoint[], scale = 1) => c.map((p) => ({ time: chartTime(msToSec(p.t)), value: p.v * scale }));

export function EquityChart({ equity, drawdown }: { equity: readonly CurvePoint[]; drawdown: readonly CurvePoint[] }) {
  const theme = useCockpit((s) => s.theme);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const h = new ChartHost(box.current, theme === 'dark' ? DARK : LIGHT);
    const p = h.palette;
    const eq = h.chart.addSeries(LineSeries, { color: p.equity, lineWidth: 2, title: 'equity', priceLineVisible: false }, 0);
    const dd = h.chart.addSeries(AreaSeries, { lineColor: p.down, topColor: p.drawdown, bottomColor: p.drawdown, lineWidth: 1, title: 'drawdown %', priceLineVisible: false, invertFilledArea: true }, 1);
    eq.setData(pts(equity));
    dd.setData(pts(drawdown, 100));
    h.chart.panes()[0]?.setStretchFactor(2);
    h.chart.timeScale().fitContent();
    return () => h.destroy();
  }, [equity, drawdown, theme]);
  return <div className="equity-chart" ref={box} data-testid="equity-chart" />;
}
