/**
 * Saved backtest runs (GET /backtests): pick two to overlay their equity curves and read their
 * metrics side by side; their trades are marked on the price chart (A and B, TradeMarkers).
 */
import { useEffect, useMemo } from 'react';
import { COMPARE_METRICS, comparedRuns, loadRuns, RUN_LABELS, togglePick } from '../domain/runs';
import { formatTime } from '../helpers/format';
import { CompareChart } from './CompareChart';
import { useCockpit, useCockpitApi } from './context';

const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : v == null ? '—' : String(v));
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

export function RunsCompare() {
  const { store, controller } = useCockpitApi();
  const runs = useCockpit((s) => s.runs);
  useEffect(() => { void loadRuns(controller.api, store); }, [controller, store]);
  // one array per change of the runs: the chart is rebuilt when the picked runs change, not on every tick
  const shown = useMemo(() => comparedRuns(runs), [runs]);
  return (
    <div className="runs" data-testid="runs">
      <h2>Saved runs <span className="muted small">({runs.total})</span></h2>
      {runs.error && <p className="error small" data-testid="runs-error">{runs.error}</p>}
      {runs.list.length === 0 ? <p className="muted small">No saved run yet: a finished backtest is saved here.</p> : (
        <table className="metrics runs-list" data-testid="runs-list">
          <tbody>{runs.list.map((r) => {
            const at = runs.picked.indexOf(r.id);
            return (
              <tr key={r.id} data-testid="run-row">
                <td><label><input type="checkbox" checked={at >= 0} onChange={() => void togglePick(controller.api, store, r.id)} data-testid={`run-pick-${r.id}`} />
                  {at >= 0 ? <b> {RUN_LABELS[at]}</b> : null}</label></td>
                <td className="small">{formatTime(r.created_ms)}</td>
                <td className="small">{day(r.from_ms)} → {day(r.to_ms)}</td>
                <td className="mono small">{fmt(r.metrics.total_return)}</td>
              </tr>
            );
          })}</tbody>
        </table>
      )}
      {shown.length > 0 && (
        <div data-testid="compare">
          <CompareChart runs={shown} />
          <table className="metrics" data-testid="compare-metrics">
            <thead><tr><th /> {shown.map((r, i) => <th key={r.summary.id} className={i ? 'run-b' : 'run-a'}>{RUN_LABELS[i]}</th>)}</tr></thead>
            <tbody>
              {COMPARE_METRICS.map((k) => <tr key={k}><td>{k.replace(/_/g, ' ')}</td>{shown.map((r) => <td key={r.summary.id} className="mono">{fmt(r.summary.metrics[k])}</td>)}</tr>)}
              <tr><td>fee / slippage bps</td>{shown.map((r) => <td key={r.summary.id} className="mono">{fmt(r.summary.strategy.commission_bps)} / {fmt(r.summary.strategy.slippage_bps)}</td>)}</tr>
              <tr><td>models</td>{shown.map((r) => <td key={r.summary.id} className="small">{r.summary.model_version}</td>)}</tr>
              <tr><td>data</td>{shown.map((r) => <td key={r.summary.id} className="small">{r.summary.data_version}</td>)}</tr>
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
