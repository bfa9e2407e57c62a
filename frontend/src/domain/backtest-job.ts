/**
 * One backtest job followed from POST /backtest to its end. While the WebSocket is up the job is
 * followed on its jobs channel (stage, folds, ETA at each fold; the last message says done and
 * saved, failed or cancelled) and GET /backtest/{id} is never polled: the finished run's result is
 * read once from GET /backtests/{id} (the saved run). While the WebSocket is down, and once right
 * after it comes back (what was missed), the job is polled with GET /backtest/{id} instead; so is
 * a job whose server says it does not push it (`ws_progress: false` in the 202).
 */
import type { Api } from './api';
import type { BacktestJob, JobMessage } from './api-types';
import { readBacktest } from './backtest';
import { loadRuns } from './runs';
import type { CockpitStore } from './store';

type Timer = ReturnType<typeof setTimeout>;

export interface BacktestJobDeps {
  api: Api;
  store: CockpitStore;
  /** True while the WebSocket subscribed to the jobs channel is open. */
  wsUp(): boolean;
  pollMs: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : JSON.stringify(err);
}

export class BacktestJobs {
  private pollTimer: Timer | null = null;
  /** Job messages that arrived before POST /backtest answered with the job's id. */
  private early = new Map<string, JobMessage>();
  /** The server pushes the running job's progress on the WebSocket (POST's `ws_progress`). */
  private pushed = false;
  private destroyed = false;

  constructor(private readonly d: BacktestJobDeps) {}

  async run(body: Parameters<Api['startBacktest']>[0]): Promise<void> {
    const { store, api } = this.d;
    this.early.clear();
    store.setState({ backtest: { status: 'running', jobId: null, view: null, error: null, progress: null } });
    try {
      const { job_id, ws_progress } = await api.startBacktest(body);
      this.pushed = ws_progress === true;
      store.setState((s) => ({ backtest: { ...s.backtest, jobId: job_id } }));
      const seen = this.early.get(job_id);
      this.early.clear();
      if (seen) this.onMessage(seen);
      else if (!this.followed()) this.poll(job_id, Date.now());
    } catch (e) {
      store.setState({ backtest: { status: 'failed', jobId: null, view: null, error: message(e) } });
    }
  }

  /** DELETE /backtest/{id} of the running job; its last message (or the poll) says "cancelled". */
  async cancel(): Promise<void> {
    const { store, api } = this.d;
    const { jobId, status } = store.getState().backtest;
    if (!jobId || status !== 'running') return;
    store.setState((s) => ({ backtest: { ...s.backtest, cancelling: true } }));
    try {
      await api.cancelBacktest(jobId);
    } catch (e) {
      store.setState((s) => ({ backtest: { ...s.backtest, cancelling: false, error: message(e) } }));
    }
  }

  /** A message of the WebSocket jobs channel (every job's: only the running one's counts). */
  onMessage(m: JobMessage): void {
    const b = this.d.store.getState().backtest;
    if (this.destroyed || b.status !== 'running') return;
    if (!b.jobId) {
      this.early.set(m.job_id, m);
      return;
    }
    if (m.job_id !== b.jobId) return;
    if (m.status === 'done') void this.finishFromSaved(m);
    else this.apply({ ...m, result: null });
  }

  /** The WebSocket went down or came back: poll while it is down, and once after (the catch-up). */
  onConnChange(): void {
    const { jobId, status } = this.d.store.getState().backtest;
    if (jobId && status === 'running' && !this.pollTimer) this.poll(jobId, Date.now());
  }

  private followed(): boolean {
    return this.pushed && this.d.wsUp();
  }

  destroy(): void {
    this.destroyed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  /** A done job from its last message: the result of the saved run, else of the job. */
  private async finishFromSaved(m: JobMessage): Promise<void> {
    try {
      const result = m.saved ? (await this.d.api.savedBacktest(m.job_id)).result : (await this.d.api.backtest(m.job_id)).result;
      this.apply({ ...m, result });
    } catch (e) {
      this.fail(m.job_id, message(e));
    }
  }

  /** The job's state into the store; true while it is still running. */
  private apply(job: Omit<BacktestJob, 'error'> & { error?: unknown }): boolean {
    const { store, api } = this.d;
    if (this.destroyed || store.getState().backtest.jobId !== job.job_id) return false;
    const id = job.job_id;
    if (job.status === 'done') {
      // with the result, show the hindsight (ideal) entries and exits beside the trades
      store.setState((s) => ({ backtest: { status: 'done', jobId: id, view: readBacktest(job.result), error: null }, layers: { ...s.layers, hindsight: true } }));
      void loadRuns(api, store); // the run is saved: list it
    } else if (job.status === 'cancelled') {
      store.setState({ backtest: { status: 'cancelled', jobId: id, view: null, error: null } });
    } else if (job.status === 'failed') {
      this.fail(id, errorText(job.error));
    } else {
      store.setState((s) => ({ backtest: { ...s.backtest, progress: job.progress ?? s.backtest.progress ?? null } }));
      return true;
    }
    return false;
  }

  private fail(id: string, error: string): void {
    this.d.store.setState({ backtest: { status: 'failed', jobId: id, view: null, error } });
  }

  /** GET /backtest/{id} every pollMs while the job is not followed on the WebSocket; one more
   * look once it is. */
  private poll(id: string, started: number): void {
    this.pollTimer = setTimeout(async () => {
      this.pollTimer = null;
      if (this.destroyed) return;
      try {
        const job = await this.d.api.backtest(id);
        if (!this.apply(job)) return;
        if (Date.now() - started > 300_000) this.fail(id, 'backtest still running after 5 minutes');
        else if (!this.followed()) this.poll(id, started);
      } catch (e) {
        this.fail(id, message(e));
      }
    }, this.d.pollMs);
  }
}
