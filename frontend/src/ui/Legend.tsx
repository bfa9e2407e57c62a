/** Values under the crosshair (or of the last bar) for every pane, in one line per pane. */
import { INTERVAL_MS } from '../domain/api-types';
import { coneToPoints } from '../domain/points';
import { barIndexAt } from '../domain/series';
import { formatCompact, formatPct, formatPrice, formatTime } from '../helpers/format';
import { useCockpit } from './context';

export function Legend() {
  const series = useCockpit((s) => s.series);
  const hoverT = useCockpit((s) => s.hoverT);
  const asset = useCockpit((s) => s.asset);
  const interval = useCockpit((s) => s.interval);
  const prediction = useCockpit((s) => s.prediction);
  if (!series || series.t.length === 0) return null;
  const lastT = series.t[series.t.length - 1]!;
  if (hoverT !== null && hoverT > lastT && prediction) {
    // over the cone: its values at the hovered slot (the price at that slot's close)
    const pt = coneToPoints(prediction, INTERVAL_MS[interval]).find((p) => p.time * 1000 === hoverT);
    if (pt) {
      const ahead = (hoverT + INTERVAL_MS[interval] - prediction.t_ms) / 3_600_000;
      return (
        <div className="legend" data-testid="legend">
          <div><b>{asset}USDT · cone {prediction.horizon_hours}h</b> <span className="muted">+{ahead.toFixed(ahead < 10 ? 2 : 1)}h · {formatTime(hoverT + INTERVAL_MS[interval])}</span></div>
          <div>median <span>{formatPrice(pt.median)}</span> · 1σ <span>{formatPrice(pt.lo1)}–{formatPrice(pt.hi1)}</span> · 2σ <span>{formatPrice(pt.lo2)}–{formatPrice(pt.hi2)}</span></div>
        </div>
      );
    }
  }
  const i = hoverT === null ? series.t.length - 1 : barIndexAt(series, hoverT);
  if (i < 0) return null;
  const c = series.close[i]!, o = series.open[i]!;
  const up = c >= o;
  return (
    <div className="legend" data-testid="legend">
      <div>
        <b>{asset}USDT · {interval}</b> <span className="muted">{formatTime(series.t[i]!)}</span>{' '}
        O <span>{formatPrice(o)}</span> H <span>{formatPrice(series.high[i])}</span> L <span>{formatPrice(series.low[i])}</span>{' '}
        C <span className={up ? 'up' : 'down'}>{formatPrice(c)}</span> V <span>{formatCompact(series.volume[i])}</span>{' '}
        Basis <span>{series.basis[i] == null ? '—' : formatPct(series.basis[i], true, 3)}</span>
      </div>
      <div className="muted">
        OI {formatCompact(series.oi[i])} · Funding {series.funding[i] == null ? '—' : formatPct(series.funding[i], true, 4)} · CVD {formatCompact(series.cvd[i])} ·
        Liq L/S {formatCompact(series.liqLong[i])}/{formatCompact(series.liqShort[i])}
      </div>
    </div>
  );
}
