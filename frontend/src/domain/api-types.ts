/**
 * The server contract (docs/API.md) as types. Times are epoch milliseconds in `t_ms` and in
 * columnar `t` arrays; nulls mean "no value" and are never replaced by invented numbers.
 */
/** An asset the server is configured with ("BTC", "SOL", ...): GET /assets lists them. */
export type Asset = string;
export type Interval = '1m' | '5m' | '15m' | '1h' | '4h' | '1d';
export const INTERVALS: readonly Interval[] = ['1m', '5m', '15m', '1h', '4h', '1d'];
export type Horizon = 1 | 4 | 8 | 24;
export const HORIZONS: readonly Horizon[] = [1, 4, 8, 24];

export const INTERVAL_MS: Record<Interval, number> = {
  '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000,
};

export interface LiqCluster { price_lo: number; price_hi: number; intensity: number; side: 'long' | 'short' }
export interface Level { price: number; kind: 'support' | 'resistance'; strength: number }
export interface VolumeBin { price_lo: number; price_hi: number; volume: number; buy_volume: number }
/**
 * One on-chain flow of /market-data (docs/LIVE_DATA.md, On-chain): values at interval starts
 * `t`, the source that wrote it ("glassnode", ..., or "import"), when that source last
 * answered (`updated_ms`, null for an import) and whether that is past the 10-minute limit.
 * Whale flows also carry USD into (`in`) and out of (`out`) exchanges; `v` = in - out.
 */
export interface FlowSeries {
  t: number[]; v: (number | null)[];
  source?: string; series?: string; derived_from?: string; interval_ms?: number; last_ts?: number;
  updated_ms?: number | null; stale?: boolean;
  in?: (number | null)[]; out?: (number | null)[];
}

export interface MarketDataResponse {
  asset: Asset; symbol: string; interval: Interval; simulated: boolean;
  t: number[]; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[];
  cvd?: (number | null)[]; oi?: (number | null)[]; funding?: (number | null)[];
  liq_long?: (number | null)[]; liq_short?: (number | null)[]; basis?: (number | null)[];
  liq_clusters?: LiqCluster[]; levels?: Level[]; volume_profile?: VolumeBin[];
  flows?: { whale: FlowSeries | null; stablecoin: FlowSeries | null; exchange_netflow: FlowSeries | null } | null;
}

export interface ConeStep { t?: string; t_ms: number; mid: number; upper: number; lower: number; upper2: number; lower2: number }

export interface Prediction {
  asset: Asset; symbol?: string; horizon_hours: Horizon; ts?: string; t_ms: number; close: number;
  p_up: number; p_down: number; expected_move: number; volatility: number; cone: ConeStep[];
  confidence: string; regime: string; model_version: string;
  stale: boolean; simulated: boolean; vol_fallback?: boolean;
}

export interface Reason { name: string; contribution: number; features: string[] }
export interface Contribution { feature: string; value: number | null; shap: number }
export interface Change { feature: string; from: number | null; to: number | null; shap_delta: number }
export interface Explanation {
  asset: Asset; horizon_hours: Horizon; ts?: string; t_ms: number; p_up: number; model_version: string;
  base_value: number; reasons: Reason[]; contributions: Contribution[]; changes: Change[];
  /** false: the classifier did not beat the base rate on validation; P(up) is the base rate */
  direction_model_used?: boolean;
  /** shrinkage weight toward the base rate (0 = abstains, 1 = the calibrated classifier) */
  direction_weight?: number | null;
}

export interface PredictionRecord {
  t_ms: number; close: number; p_up: number; expected_move: number; volatility: number;
  p023: number; p159: number; p500: number; p841: number; p977: number;
  regime: string; confidence: string; model_version: string;
}

/** A job's progress (GET /backtest/{id}, the WebSocket jobs channel): walk-forward folds. */
export interface JobProgress { stage: string; folds_total: number; folds_done: number; folds_reused: number; folds_trained: number; eta_ms: number | null }
export interface BacktestJob { job_id: string; status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled'; result: unknown; error?: unknown; progress?: JobProgress; cancel_requested?: boolean; saved?: boolean }
/** A job on the WebSocket jobs channel: GET /backtest/{id} without the result; the last message
 * of a job says `saved` (the result is GET /backtests/{id}) or carries the error's message. */
export type JobMessage = Omit<BacktestJob, 'result' | 'error'> & { error?: string };

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  fallback?: { regime: string; confidence: string; recommendation: string };
}

/** A bar as the WebSocket sends it. */
export interface WsBar {
  t: number; open: number; high: number; low: number; close: number; volume: number;
  cvd?: number | null; oi?: number | null; funding?: number | null;
  liq_long?: number | null; liq_short?: number | null; basis?: number | null;
}

/** The part of GET /health the cockpit shows: where the data comes from and how fresh it is. */
export interface Health {
  status: 'ok' | 'degraded' | string; source: 'live' | 'simulated' | 'store' | string; simulated: boolean;
  source_note?: string;
  data?: { kind: string; instrument: string; stale: boolean; age_ms: number | null }[];
  live_predictions?: { symbol: string; drift?: ModelDrift }[];
}
/** The model drift score of a symbol (/health; docs/ALERTS.md): mean PSI of the champion's
 * top-10 features over the last 24 h against training; score null until there is one. */
export interface ModelDrift { score: number | null; minutes: number; worst_feature?: string; worst_psi?: number }

/** An alert rule (docs/ALERTS.md); answers never carry the webhook secret. */
export interface AlertRule {
  id: number; owner: string; name: string;
  kind: 'price_cross' | 'cone_breach' | 'p_up_cross' | 'regime_change' | 'confidence_high' | 'stale' | 'drift';
  asset: Asset; horizon_h?: number; level?: number; threshold?: number; direction: 'up' | 'down' | 'any';
  regime?: string; cooldown_s: number; enabled: boolean; webhook_url?: string; created_ms: number;
}
/** A firing, as the WebSocket "alerts" channel sends it. */
export interface AlertEvent {
  id: number; rule_id: number; name: string; kind: AlertRule['kind']; asset: Asset; horizon_h?: number;
  t_ms: number; time: string; value: number | null; message: string; simulated: boolean;
}

/** A rule's firing in a replayed bar (t: the bar's close, ms). */
export interface ReplayAlert { rule_id: number; kind: AlertRule['kind']; t: number; value: number; message: string }

export type ServerMessage =
  | { type: 'candle'; asset: Asset; interval: Interval; closed: boolean; bar: WsBar }
  | ({ type: 'alert' } & AlertEvent)
  | ({ type: 'prediction' } & Prediction)
  | { type: 'market'; asset: Asset; source?: string; simulated?: boolean; stale?: boolean; last_ts?: number; age_ms?: number; flows_updated?: boolean }
  | { type: 'replay'; asset: Asset; interval?: Interval; t?: number; bar?: WsBar; predictions?: Prediction[]; accuracy?: { hits: number; total: number }; alerts?: ReplayAlert[]; drift?: number | null; done?: boolean }
  | ({ type: 'job' } & JobMessage)
  | { type: 'heartbeat'; t: number }
  | { type: 'error'; error: { code: string; message: string } }
  | { type: 'subscribed'; channel: string; asset?: Asset; interval?: Interval };

export type ClientMessage =
  /** Every channel but jobs (every backtest job) takes an asset. */
  | { op: 'subscribe' | 'unsubscribe'; channel: 'candles' | 'predictions' | 'market' | 'replay' | 'alerts' | 'jobs'; asset?: Asset; interval?: Interval }
  /** With `from`: start a replay (bars of `interval`). Without: change speed of the running one (0 pauses). */
  | { op: 'replay'; asset: Asset; from?: string; speed: number; interval?: Interval }
  | { op: 'replay_step' } | { op: 'replay_stop' } | { op: 'ping' };

/** GET /assets: the configured assets, their stored series, the series served, the champion. */
export interface AssetSource {
  instrument: string; exchange: string; market: 'spot' | 'perp'; resolution: string;
  simulated: boolean; bars: number; first_ts: number; last_ts: number;
}
export interface AssetInfo {
  asset: Asset; symbol: string; quote: string; catalogued: boolean; live: boolean;
  sources: AssetSource[]; resolutions: string[]; serving: string | null; simulated: boolean;
  newest_bar_ts: number | null; newest_bar: string | null; stale: boolean;
  model: { champion: string | null; challenger?: string; traffic_split?: number };
}
export interface AssetsResponse { count: number; source: string; horizons: number[]; assets: AssetInfo[] }
