/**
 * Replay (pick a date → the chart rewinds and the model's predictions replay bar by bar over
 * the WebSocket, with play/pause/step/speed and the running accuracy) and the backtest panel
 * (BacktestPanel: strategy, progress, results, saved runs compared).
 */
import { useState } from 'react';
import { runAction } from '../domain/actions';
import { SPEEDS } from '../domain/store';
import { formatTime, fromDateTimeInput, toDateTimeInput } from '../helpers/format';
import { BacktestPanel } from './BacktestPanel';
import { useCockpit, useCockpitApi } from './context';

const toInput = toDateTimeInput;
const fromInput = fromDateTimeInput;

export function BacktestTimeline() {
  const cockpit = useCockpitApi();
  const { controller } = cockpit;
  const replay = useCockpit((s) => s.replay);
  const series = useCockpit((s) => s.series);
  const first = series?.t[0] ?? null;
  const last = series?.t[series.t.length - 1] ?? null;
  const [fromText, setFromText] = useState('');
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
      <BacktestPanel first={first} last={last} />
    </section>
  );
}
