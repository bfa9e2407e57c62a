/**
 * Replay (pick a date → the chart rewinds and the model's predictions replay bar by bar over
 * the WebSocket, with play/pause/step/speed and the running accuracy) and backtest results
 * (equity and drawdown curves, trade markers on the chart, the metrics table).
 */
import { useState } from 'react';
import { runAction } from '../domain/actions';
import { SPEEDS } from '../domain/store';
import { formatTime } from '../helpers/format';
import { unixMs } from '../helpers/units';
import { useCockpit, useCockpitApi } from './context';
import { EquityChart } from './EquityChart';

const toInput = (t: number) => new Date(t).toISOString().slice(0, 16);
const fromInput = (v: string): number | null => { const t = Date.parse(v + 'Z'); return Number.isNaN(t) ? null : t; };

function fmtMetric(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function BacktestTimeline() {
  const cockpit = useCockpitApi();
  const { controller } = cockpit;
  const replay = useCockpit((s) => s.replay);
  const bt = useCockpit((s) => s.backtest);
  const series = useCockpit((s) => s.series);
  const first = series?.t[0] ?? null;
  const last = series?.t[series.t.length - 1] ?? null;
  const [fromText, setFromText] = useState('');
  const [btFrom, setBtFrom] = useState('');
  const [btTo, setBtTo] = useState('');
  const defaultReplay = last !== null && first !== null ? Math.max(first, last - 6 * 3_600_000) : null;
  const replayFrom = fromInput(fromText) ?? defaultReplay;
  cockpit.setReplayFrom(replayFrom);
  const acc = replay.total > 0 ? replay.hits / replay.total : null;

  return (
    <section className="panel timeline" data-testid="backtest-timeline" aria-label="Replay and backtest">
      <h2>Replay</h2>
      <div className="row wrap">
        <label>From <input type="datetime-local" value={replay.active && replay.from !== null ? toInput(replay.from) : fromText || (replayFrom !== null ? toInput(replayFrom) : '')}
          onChange={(e) => setFromText(e.target.value)} data-testid="replay-from" /></label>
        {!replay.active
          ? <button onClick={() => runAction('replay.toggle', cockpit)} disabled={replayFrom === null} data-testid="replay-start">Replay (R)</button>
          : <button onClick={() => runAction('replay.stop', cockpit)} data-testid="replay-stop">Back to live (Esc)</button>}
        <button onClick={() => runAction('replay.playPause', cockpit)} disabled={!replay.active} data-testid="replay-play">{replay.playing ? 'Pause' : 'Play'} (Space)</button>
        <button onClick={() => runAction('replay.step', cockpit)} disabled={!replay.active} data-testid="replay-step">Step (→)</button>
        <label>Speed <select value={replay.speed} onChange={(e) => controller.setSpeed(Number(e.target.value))}>
          {SPEEDS.map((s) => <option key={s} value={s}>{s} bars/s</option>)}
        </select></label>
      </div>
      {replay.active && (
        <p data-testid="replay-status">
          {replay.playing ? '▶' : '❚❚'} at {replay.t !== null ? formatTime(replay.t) : '—'} · accuracy{' '}
          <b data-testid="replay-accuracy">{acc === null ? '—' : `${(acc * 100).toFixed(1)}%`}</b> ({replay.hits}/{replay.total})
          {replay.error && <span className="error"> · {replay.error}</span>}
        </p>
      )}
      <h2>Backtest</h2>
      <div className="row wrap">
        <label>From <input type="datetime-local" value={btFrom || (first !== null ? toInput(first) : '')} onChange={(e) => setBtFrom(e.target.value)} data-testid="bt-from" /></label>
        <label>To <input type="datetime-local" value={btTo || (last !== null ? toInput(last) : '')} onChange={(e) => setBtTo(e.target.value)} data-testid="bt-to" /></label>
        <button data-testid="bt-run" disabled={bt.status === 'running' || first === null}
          onClick={() => {
            const f = fromInput(btFrom) ?? first, t = fromInput(btTo) ?? last;
            if (f !== null && t !== null) void controller.runBacktest(unixMs(f), unixMs(t));
          }}>{bt.status === 'running' ? 'Running…' : 'Run backtest'}</button>
      </div>
      {bt.status === 'failed' && <p className="error" role="alert" data-testid="bt-error">Backtest failed: {bt.error}</p>}
      {bt.view && (
        <div data-testid="bt-result">
          {bt.view.equity.length > 0 ? <EquityChart equity={bt.view.equity} drawdown={bt.view.drawdown} /> : <p className="muted">The result has no equity curve.</p>}
          <p className="muted small">{bt.view.trades.length} trades (markers on the chart). Press G for hindsight entries/exits.</p>
          <table className="metrics" data-testid="bt-metrics">
            <tbody>{bt.view.metrics.map(([k, v]) => <tr key={k}><td>{k.replace(/_/g, ' ')}</td><td className="mono">{fmtMetric(v)}</td></tr>)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}
