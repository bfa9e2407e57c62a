/**
 * Saved backtest runs (GET /backtests, GET /backtests/{id}) and the comparison of two of them:
 * the list the cockpit shows, and for each run picked its result read into what is drawn
 * (equity curve overlaid, metrics side by side, its trades marked on the price chart).
 * At most two runs are compared; picking a third drops the oldest pick.
 */
import type { Api } from './api';
import { readBacktest, type BacktestView } from './backtest';
import type { CockpitStore } from './store';

export interface RunSummary {
  id: string; created_ms: number; instrument: string; from_ms: number; to_ms: number;
  data_version: string; model_version: string;
  strategy: Record<string, unknown>; metrics: Record<string, unknown>;
}
export interface RunsPage { runs: RunSummary[]; total: number; offset: number; limit: number }
export interface RunDetail extends RunSummary { result: unknown }
export interface ComparedRun { summary: RunSummary; view: BacktestView }

export interface RunsState { list: RunSummary[]; total: number; picked: string[]; compared: Record<string, ComparedRun>; error: string | null }
export const initialRuns: RunsState = { list: [], total: 0, picked: [], compared: {}, error: null };

export const MAX_COMPARED = 2;
/** How the compared runs are named on the curves, the table and the chart's markers. */
export const RUN_LABELS = ['A', 'B'] as const;
/** The metrics shown side by side, in this order. */
export const COMPARE_METRICS = ['total_return', 'annualized_return', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'win_rate', 'profit_factor', 'total_trades', 'exposure_time', 'fees', 'buy_hold_return'] as const;

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Refresh the newest saved runs. */
export async function loadRuns(api: Api, store: CockpitStore, limit = 20): Promise<void> {
  try {
    const page = await api.backtests(0, limit);
    store.setState((s) => ({ runs: { ...s.runs, list: page.runs, total: page.total, error: null } }));
  } catch (e) {
    store.setState((s) => ({ runs: { ...s.runs, error: msg(e) } }));
  }
}

/** Pick a run for the comparison (or drop it when picked); its result is fetched once. */
export async function togglePick(api: Api, store: CockpitStore, id: string): Promise<void> {
  const { picked } = store.getState().runs;
  if (picked.includes(id)) {
    store.setState((s) => ({ runs: { ...s.runs, picked: s.runs.picked.filter((x) => x !== id) } }));
    return;
  }
  store.setState((s) => ({ runs: { ...s.runs, picked: [...s.runs.picked, id].slice(-MAX_COMPARED) } }));
  if (store.getState().runs.compared[id]) return;
  try {
    const r = await api.savedBacktest(id);
    const { result, ...summary } = r;
    store.setState((s) => ({ runs: { ...s.runs, compared: { ...s.runs.compared, [id]: { summary, view: readBacktest(result) } }, error: null } }));
  } catch (e) {
    store.setState((s) => ({ runs: { ...s.runs, picked: s.runs.picked.filter((x) => x !== id), error: msg(e) } }));
  }
}

/** The picked runs whose results are in hand, in pick order. */
export const comparedRuns = (r: RunsState): ComparedRun[] => r.picked.map((id) => r.compared[id]).filter((c): c is ComparedRun => c !== undefined);

/** The compared runs over the chart's asset: a run's instrument ends with the asset's symbol
 * ("sim:spot:BTCUSDT"); the others are not marked on its chart. */
export const runsOfSymbol = (runs: readonly ComparedRun[], symbol: string | null): ComparedRun[] =>
  symbol ? runs.filter((r) => r.summary.instrument.endsWith(`:${symbol}`)) : [];
