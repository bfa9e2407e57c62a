/** A running backtest: its stage, walk-forward folds done / total and ETA as a bar, and Cancel
 * (DELETE /backtest/{id}; the server stops the job and its fold trainings within a second). */
import { useCockpit, useCockpitApi } from './context';

export function BacktestProgress() {
  const { controller } = useCockpitApi();
  const bt = useCockpit((s) => s.backtest);
  if (bt.status !== 'running') return null;
  const p = bt.progress ?? null;
  const total = p?.folds_total ?? 0;
  const done = p?.folds_done ?? 0;
  const pct = total > 0 ? Math.round((100 * done) / total) : 0;
  const eta = p?.eta_ms != null ? ` · about ${Math.max(1, Math.round(p.eta_ms / 1000))} s left` : '';
  return (
    <div className="bt-progress row wrap" data-testid="bt-progress">
      <div className="progress" role="progressbar" aria-label="Backtest progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="small" data-testid="bt-progress-text">
        {p ? `${p.stage}: folds ${done}/${total} (reused ${p.folds_reused}, trained ${p.folds_trained})${eta}` : 'queued'}
      </span>
      <button data-testid="bt-cancel" disabled={!bt.jobId || bt.cancelling === true} onClick={() => void controller.cancelBacktest()}>
        {bt.cancelling ? 'Cancelling…' : 'Cancel'}
      </button>
    </div>
  );
}
