/**
 * Alerts: the rules of the selected asset (GET /alerts) with mute / unmute and delete, a
 * form that creates a price-cross rule at a level (right-click on the chart picks the level
 * under the cursor; it starts at the last price), and the history of the shown rules'
 * firings (GET /alerts/{id}/events, newest first). Rules and history are reloaded after every
 * change and when a firing arrives (the WebSocket "alerts" channel, docs/ALERTS.md; the toasts
 * are AlertToasts.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import type { AlertEvent, AlertRule } from '../domain/api-types';
import { formatTime } from '../helpers/format';
import { useCockpit, useCockpitApi } from './context';

const describe = (r: AlertRule): string =>
  r.kind === 'price_cross' ? `price crosses ${r.level ?? '?'} (${r.direction})`
    : r.kind === 'p_up_cross' || r.kind === 'cone_breach' ? `${r.kind} ${r.horizon_h ?? ''}h ${r.threshold ?? ''} (${r.direction})`
      : r.kind === 'drift' ? `model drift above ${r.threshold ?? '?'} PSI`
      : r.kind.replace('_', ' ');

/** Firings listed under the rules. */
const HISTORY = 20;

export function AlertsPanel() {
  const { controller, store } = useCockpitApi();
  const asset = useCockpit((s) => s.asset);
  const picked = useCockpit((s) => s.alertLevel);
  const lastClose = useCockpit((s) => (s.series && s.series.t.length > 0 ? s.series.close[s.series.t.length - 1]! : null));
  const toasts = useCockpit((s) => s.alertToasts.length);
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [history, setHistory] = useState<AlertEvent[]>([]);
  // a level right-clicked before this panel's chunk loaded (it loads after the chart's first frame) shows at once
  const [level, setLevel] = useState(() => (picked !== null ? String(picked) : ''));
  const [direction, setDirection] = useState<AlertRule['direction']>('any');
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const r = await controller.api.alerts();
      setRules(r.alerts);
      const mine = r.alerts.filter((x) => x.asset === store.getState().asset);
      const events = await Promise.all(mine.map((x) => controller.api.alertEvents(x.id)));
      setHistory(events.flatMap((e) => e.events).sort((a, b) => b.t_ms - a.t_ms).slice(0, HISTORY));
      setError(null);
    } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
  }, [controller, store]);
  useEffect(() => { void reload(); }, [reload, toasts, asset]);
  useEffect(() => { if (picked !== null) setLevel(String(picked)); }, [picked]);

  const act = async (f: () => Promise<unknown>) => {
    try { await f(); setError(null); } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
    await reload();
  };
  const create = () => act(() => controller.api.createAlert({
    kind: 'price_cross', asset, level: Number(level || lastClose), direction, cooldown_s: 60,
  }));
  const mine = rules.filter((r) => r.asset === asset);

  return (
    <section className="panel alerts" data-testid="alerts-panel" aria-label="Alerts">
      <h2>Alerts</h2>
      <form className="alert-form" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <input aria-label="alert price level" data-testid="alert-level" inputMode="decimal" value={level}
          placeholder={lastClose !== null ? String(lastClose) : 'price'} onChange={(e) => { setLevel(e.target.value); store.setState({ alertLevel: null }); }} />
        <select aria-label="direction" value={direction} onChange={(e) => setDirection(e.target.value as AlertRule['direction'])}>
          <option value="any">any</option><option value="up">up</option><option value="down">down</option>
        </select>
        <button type="submit" data-testid="alert-create">Alert at price</button>
      </form>
      {error && <div className="error small" role="alert">{error}</div>}
      <ul className="alert-list" data-testid="alert-list">
        {mine.map((r) => (
          <li key={r.id} data-testid="alert-rule" className={r.enabled ? '' : 'muted'}>
            <span>{describe(r)}</span>
            <button data-testid="alert-mute" onClick={() => void act(() => controller.api.patchAlert(r.id, { enabled: !r.enabled }))}>{r.enabled ? 'Mute' : 'Unmute'}</button>
            <button data-testid="alert-delete" onClick={() => void act(() => controller.api.deleteAlert(r.id))} aria-label={`delete alert ${r.id}`}>✕</button>
          </li>
        ))}
        {mine.length === 0 && <li className="muted small">No alerts for {asset}. Right-click the chart to pick a level.</li>}
      </ul>
      {history.length > 0 && (
        <>
          <h3 className="small">Fired</h3>
          <ul className="alert-list alert-history" data-testid="alert-history">
            {history.map((e) => (
              <li key={e.id} data-testid="alert-event" className="small"><span className="muted mono">{formatTime(e.t_ms)}</span> {e.message}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
