/**
 * The cockpit's state (zustand, framework-free so it is testable without React).
 * Components select slices; the controller (controller.ts) is the only writer of server data.
 * `seriesRev` increments when the whole series must be redrawn (new asset/interval, gap fill
 * that rewrote history, window trim); otherwise a changed `series` means "update the tail".
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { UnixMs } from '../helpers/units';
import type { AlertEvent, Asset, ReplayAlert, AssetInfo, Explanation, Horizon, Interval, JobProgress, LiqCluster, Level, MarketDataResponse, ModelDrift, Prediction, VolumeBin } from './api-types';
import { HORIZONS, INTERVALS } from './api-types';
import type { BacktestView } from './backtest';
import { initialRuns, type RunsState } from './runs';
import type { ConnStatus } from './socket';
import type { BarSeries } from './series';

export type Theme = 'dark' | 'light';
export type LoadState = 'idle' | 'loading' | 'ok' | 'error';
export type PredictionState = 'loading' | 'ok' | 'unavailable' | 'error';
export interface Layers { cone: boolean; liquidations: boolean; levels: boolean; basis: boolean; volumeProfile: boolean; hindsight: boolean }

export interface ReplayState {
  active: boolean; playing: boolean; speed: number; from: UnixMs | null; t: UnixMs | null;
  hits: number; total: number; error: string | null;
  /** Where the asset's alert rules would have fired in the replayed bars (docs/ALERTS.md). */
  alerts: ReplayAlert[];
}
/** Where the data comes from (GET /health every 30 s) and whether the current asset's is stale
 * (also pushed on the WebSocket's market channel the moment it changes). */
export interface SourceState { source: string; simulated: boolean; note: string; degraded: boolean; staleKinds: string[] }

export interface BacktestState {
  status: 'idle' | 'running' | 'done' | 'failed' | 'cancelled'; jobId: string | null; view: BacktestView | null; error: string | null;
  /** while running: the job's stage and folds (GET /backtest/{id}); null before the first answer */
  progress?: JobProgress | null; cancelling?: boolean;
}

export interface CockpitState {
  asset: Asset; interval: Interval; horizon: Horizon; theme: Theme; layers: Layers;
  conn: ConnStatus; connRetryMs: number | null; lastMessageAt: number | null;
  load: LoadState; loadError: string | null;
  series: BarSeries | null; seriesRev: number;
  extras: { liqClusters: LiqCluster[]; levels: Level[]; volumeProfile: VolumeBin[]; flows: MarketDataResponse['flows'] };
  prediction: Prediction | null; predictionState: PredictionState; predictionError: string | null; retryAfterS: number | null;
  hoverT: UnixMs | null; explanation: Explanation | null; explainState: LoadState; explainError: string | null;
  replay: ReplayState; backtest: BacktestState;
  /** saved runs and the two compared (runs.ts) */
  runs: RunsState;
  liveTicks: number;
  source: SourceState | null; marketStale: boolean;
  /** The current asset's model drift score (GET /health); null: the server has none for it. */
  modelDrift: ModelDrift | null;
  /** The server's configured assets (GET /assets); empty until it answers. */
  assets: AssetInfo[];
  /** Alert firings shown as toasts (newest first); alertLevel: a price picked on the chart. */
  alertToasts: AlertEvent[]; alertLevel: number | null;
}

export const SPEEDS = [1, 5, 20, 60, 240] as const;

export const initialReplay: ReplayState = { active: false, playing: false, speed: 20, from: null, t: null, hits: 0, total: 0, error: null, alerts: [] };

export function initialState(over: Partial<CockpitState> = {}): CockpitState {
  return {
    asset: 'BTC', interval: '1m', horizon: 4, theme: 'dark',
    layers: { cone: true, liquidations: true, levels: true, basis: true, volumeProfile: true, hindsight: false },
    conn: 'connecting', connRetryMs: null, lastMessageAt: null,
    load: 'idle', loadError: null, series: null, seriesRev: 0,
    extras: { liqClusters: [], levels: [], volumeProfile: [], flows: null },
    prediction: null, predictionState: 'loading', predictionError: null, retryAfterS: null,
    hoverT: null, explanation: null, explainState: 'idle', explainError: null,
    replay: initialReplay, backtest: { status: 'idle', jobId: null, view: null, error: null },
    runs: initialRuns,
    liveTicks: 0,
    source: null, marketStale: false, modelDrift: null,
    assets: [],
    alertToasts: [], alertLevel: null,
    ...over,
  };
}

export type CockpitStore = StoreApi<CockpitState>;
export const createCockpitStore = (over: Partial<CockpitState> = {}): CockpitStore => createStore<CockpitState>(() => initialState(over));

/** Pure transitions used by actions and the controller. */
/** The asset after `a` in the server's list (wrapping); `a` itself while the list is unknown. */
export const nextAsset = (assets: readonly AssetInfo[], a: Asset): Asset =>
  assets.length ? assets[(assets.findIndex((x) => x.asset === a) + 1) % assets.length]!.asset : a;
export const nextHorizon = (h: Horizon): Horizon => HORIZONS[(HORIZONS.indexOf(h) + 1) % HORIZONS.length]!;
export const intervalByIndex = (i: number): Interval | null => INTERVALS[i] ?? null;
export const nextSpeed = (s: number, dir: 1 | -1): number => {
  const i = SPEEDS.findIndex((x) => x >= s);
  const j = Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? SPEEDS.length - 1 : i) + dir));
  return SPEEDS[j]!;
};
