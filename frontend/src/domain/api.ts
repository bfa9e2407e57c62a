/**
 * HTTP client for the routes of docs/API.md. Errors carry the server's code so the UI can
 * tell "model not ready" (503 PREDICTION_UNAVAILABLE, with its retry delay) from failures.
 */
import type { AlertEvent, AlertRule, ApiErrorBody, Asset, AssetsResponse, BacktestJob, Explanation, Horizon, Interval, MarketDataResponse, Prediction, Health } from './api-types';
import type { CalibrationResponse } from './calibration';
import { takeEarly } from './early';
import type { RunDetail, RunsPage } from './runs';
import type { BacktestOptions } from './strategy';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  return q.toString();
}

export class Api {
  constructor(private readonly base = '', private readonly fetchFn: Fetch = (i, init) => fetch(i, init)) {}

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const early = this.base === '' ? takeEarly(path) : null;
    if (early) {
      const e = await early;
      if (e !== null && !init?.signal?.aborted) return e as T;
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'NETWORK', `${path.split('?')[0]}: server unreachable`);
    }
    if (res.ok) return (await res.json()) as T;
    let body: Partial<ApiErrorBody> = {};
    try { body = (await res.json()) as ApiErrorBody; } catch { /* not JSON */ }
    const d = body.error?.details;
    const retryHeader = Number(res.headers.get('Retry-After'));
    const retry = typeof d?.retry_after_seconds === 'number' ? d.retry_after_seconds : Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null;
    throw new ApiError(res.status, body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? `${path.split('?')[0]}: HTTP ${res.status}`, retry);
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.json('/health', signal ? { signal } : undefined);
  }
  assets(signal?: AbortSignal): Promise<AssetsResponse> {
    return this.json('/assets', signal ? { signal } : undefined);
  }
  marketData(p: { asset: Asset; interval: Interval; from?: number; to?: number; limit?: number }, signal?: AbortSignal): Promise<MarketDataResponse> {
    return this.json(`/market-data?${query(p)}`, signal ? { signal } : undefined);
  }
  predict(p: { asset: Asset; horizon: Horizon; at?: number }, signal?: AbortSignal): Promise<Prediction> {
    return this.json(`/predict?${query({ asset: p.asset, horizon_hours: p.horizon, at: p.at })}`, signal ? { signal } : undefined);
  }
  explain(p: { asset: Asset; horizon: Horizon; at?: number }, signal?: AbortSignal): Promise<Explanation> {
    return this.json(`/explain?${query({ asset: p.asset, horizon_hours: p.horizon, at: p.at })}`, signal ? { signal } : undefined);
  }
  /** GET /calibration: coverage and reliability of the stored predictions (all horizons without one). */
  calibration(p: { asset: Asset; horizon?: Horizon }, signal?: AbortSignal): Promise<CalibrationResponse> {
    return this.json(`/calibration?${query({ asset: p.asset, horizon: p.horizon })}`, signal ? { signal } : undefined);
  }
  startBacktest(body: { asset: Asset; from: string; to: string; strategy: Record<string, unknown> }): Promise<{ job_id: string; ws_progress?: boolean }> {
    return this.json('/backtest', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  backtest(id: string): Promise<BacktestJob> {
    return this.json(`/backtest/${encodeURIComponent(id)}`);
  }
  /** DELETE /backtest/{id}: cancel a queued or running job. */
  cancelBacktest(id: string): Promise<BacktestJob> {
    return this.json(`/backtest/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
  /** GET /backtest-options: the strategy options' defaults and the limits POST /backtest checks. */
  backtestOptions(): Promise<BacktestOptions> {
    return this.json('/backtest-options');
  }
  /** GET /backtests: saved runs, newest first. */
  backtests(offset: number, limit: number): Promise<RunsPage> {
    return this.json(`/backtests?${query({ offset, limit })}`);
  }
  savedBacktest(id: string): Promise<RunDetail> {
    return this.json(`/backtests/${encodeURIComponent(id)}`);
  }
  /** The alert routes (docs/API.md, Alerts). */
  alerts(): Promise<{ alerts: AlertRule[] }> {
    return this.json('/alerts');
  }
  createAlert(rule: Partial<AlertRule>): Promise<AlertRule> {
    return this.json('/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  }
  patchAlert(id: number, change: Partial<AlertRule>): Promise<AlertRule> {
    return this.json(`/alerts/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(change) });
  }
  deleteAlert(id: number): Promise<{ deleted: number }> {
    return this.json(`/alerts/${id}`, { method: 'DELETE' });
  }
  /** A rule's firings, newest first (with their webhook delivery state). */
  alertEvents(id: number): Promise<{ events: AlertEvent[] }> {
    return this.json(`/alerts/${id}/events`);
  }
}
