/** Two saved runs' equity curves overlaid on one time axis (run A in the equity colour, run B in
 * the second one), each as its return on its initial equity so that runs of different cash
 * compare. */
import { LineSeries } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import { ChartHost } from '../chart/chart-host';
import { DARK, LIGHT } from '../chart/palette';
import { chartTime } from '../chart/time';
import { RUN_LABELS, type ComparedRun } from '../domain/runs';
import { msToSec } from '../helpers/units';
import { useCockpit } from './context';

/** At most n points of a curve (every k-th and the last): two runs' curves on one time axis
 * are two sets of times, and the whole of both must fit the chart's width. */
function thin<T>(c: readonly T[], n: number): T[] {
  const k = Math.max(1, Math.ceil(c.length / n));
  return c.filter((_, i) => i % k === 0 || i === c.length - 1);
}

export function CompareChart({ runs }: { runs: readonly ComparedRun[] }) {
  const theme = useCockpit((s) => s.theme);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const h = new ChartHost(box.current, theme === 'dark' ? DARK : LIGHT);
    h.chart.applyOptions({ timeScale: { minBarSpacing: 0.01 } }); // fitContent shows both runs whole
    const colors = [h.palette.equity, h.palette.equityB];
    runs.forEach((r, i) => {
      const eq = r.view.equity, v0 = eq[0]?.v ?? 1;
      const s = h.chart.addSeries(LineSeries, { color: colors[i % 2], lineWidth: 2, title: `${RUN_LABELS[i % 2]} return %`, priceLineVisible: false });
      s.setData(thin(eq, 400).map((p) => ({ time: chartTime(msToSec(p.t)), value: (p.v / v0 - 1) * 100 })));
    });
    h.chart.timeScale().fitContent();
    return () => h.destroy();
  }, [runs, theme]);
  return <div className="equity-chart" ref={box} data-testid="compare-chart" />;
}
