/** Values under the crosshair (or of the last bar) for every pane, in one line per pane. */
import { barIndexAt } from '../domain/series';
import { formatCompact, formatPct, formatPrice, formatTime } from '../helpers/format';
import { useCockpit } from './context';

export function Legend() {
  const series = useCockpit((s) => s.series);
  const hoverT = useCockpit((s) => s.hoverT);
  const asset = useCockpit((s) => s.asset);
  const interval = useCockpit((s) => s.interval);
  if (!series || series.t.length === 0) return null;
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
