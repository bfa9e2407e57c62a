/** Asset switcher, intervals, horizon, layers, theme, connection status, simulated badge. */
import { runAction, ACTIONS } from '../domain/actions';
import { HORIZONS, INTERVALS } from '../domain/api-types';
import { AssetSwitcher } from './AssetSwitcher';
import type { Layers } from '../domain/store';
import { useCockpit, useCockpitApi } from './context';

const LAYER_LABELS: [keyof Layers, string][] = [
  ['cone', 'Cone'], ['liquidations', 'Liq bands'], ['levels', 'S/R'], ['basis', 'Basis'], ['volumeProfile', 'Vol profile'], ['hindsight', 'Hindsight'],
];

export function ConnectionBadge() {
  const conn = useCockpit((s) => s.conn);
  const retry = useCockpit((s) => s.connRetryMs);
  const label = conn === 'open' ? 'live' : conn === 'reconnecting' ? `reconnecting${retry ? ` in ${(retry / 1000).toFixed(1)}s` : '…'}` : conn;
  return <span className={`conn conn-${conn}`} data-testid="conn" data-state={conn} title="WebSocket connection"><i />{label}</span>;
}

export function Toolbar({ onHelp }: { onHelp: () => void }) {
  const cockpit = useCockpitApi();
  const { store } = cockpit;
  const interval = useCockpit((s) => s.interval);
  const horizon = useCockpit((s) => s.horizon);
  const theme = useCockpit((s) => s.theme);
  const layers = useCockpit((s) => s.layers);
  const simulated = useCockpit((s) => s.series?.simulated ?? false);
  const source = useCockpit((s) => s.source);
  const marketStale = useCockpit((s) => s.marketStale);
  const keyOf = (id: string) => ACTIONS.find((a) => a.id === id)?.keys[0] ?? '';
  return (
    <header className="toolbar">
      <span className="brand">cpe</span>
      <AssetSwitcher />
      <div className="seg" role="group" aria-label="Interval">
        {INTERVALS.map((iv) => <button key={iv} aria-pressed={iv === interval} title={`key ${keyOf(`interval.${iv}`)}`} onClick={() => runAction(`interval.${iv}`, cockpit)}>{iv}</button>)}
      </div>
      <div className="seg" role="group" aria-label="Horizon" data-testid="horizons">
        {HORIZONS.map((h) => <button key={h} aria-pressed={h === horizon} title="H cycles" onClick={() => store.setState({ horizon: h })}>{h}h</button>)}
      </div>
      <div className="seg layers" role="group" aria-label="Layers">
        {LAYER_LABELS.map(([k, label]) => <button key={k} aria-pressed={layers[k]} title={`key ${keyOf(`layer.${k}`).toUpperCase()}`} onClick={() => runAction(`layer.${k}`, cockpit)}>{label}</button>)}
      </div>
      <span className="spacer" />
      {simulated && <span className="badge sim" data-testid="sim-market" title={source?.note || 'the bars are simulated'}>SIMULATED DATA</span>}
      {marketStale && <span className="badge stale" data-testid="stale-market" title={`no fresh ${source?.staleKinds.join(', ') || 'price'} data: predictions are flagged stale`}>STALE DATA</span>}
      <ConnectionBadge />
      <button onClick={() => runAction('theme.toggle', cockpit)} title="T" aria-label="Toggle theme">{theme === 'dark' ? '☀' : '☾'}</button>
      <button onClick={onHelp} title="Keyboard shortcuts" aria-label="Keyboard shortcuts">?</button>
    </header>
  );
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const name = (k: string) => (k === ' ' ? 'Space' : k.length === 1 ? k.toUpperCase() : k);
  return (
    <div className="help" role="dialog" aria-label="Keyboard shortcuts" onClick={onClose}>
      <div className="help-box">
        <h2>Keyboard shortcuts</h2>
        <table><tbody>{ACTIONS.map((a) => <tr key={a.id}><td className="mono">{a.keys.map(name).join(' / ')}</td><td>{a.label}</td></tr>)}</tbody></table>
        <p className="muted">? toggles this help</p>
      </div>
    </div>
  );
}
