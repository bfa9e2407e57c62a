/**
 * Backtest: the range, the strategy form, Run, the progress bar with Cancel while it runs, the
 * result (equity and drawdown, the metrics; trades and hindsight entries on the chart) and the
 * saved runs with their comparison.
 */
import { useState } from 'react';
import { fromDateTimeInput, toDateTimeInput } from '../helpers/format';
import { unixMs } from '../helpers/units';
import { BacktestProgress } from './BacktestProgress';
import { useCockpit, useCockpitApi } from './context';
import { EquityChart } from './EquityChart';
import { RunsCompare } from './RunsCompare';
import { StrategyForm } from './StrategyForm';

const toInput = toDateTimeInput;
const fromInput = fromDateTimeInput;

function fmtMetric(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function BacktestPanel({ first, last }: { first: number | null; last: number | null }) {
  const { controller } = useCockpitApi();
  const bt = useCockpit((s) => s.backtest);
  const [btFrom, setBtFrom] = useState('');
  const [btTo, setBtTo] = useState('');
  const [strategy, setStrategy] = useState<Record<string, unknown> | null>(null);
  return (
    <>
      <h2>Backtest</h2>
      <div className="row wrap">
        <label>From <input type="datetime-local" value={btFrom || (first !== null ? toInput(first) : '')} onChange={(e) => setBtFrom(e.target.value)} data-testid="bt-from" /></label>
        <label>To <input type="datetime-local" value={btTo || (last !== null ? toInput(last) : '')} onChange={(e) => setBtTo(e.target.value)} data-testid="bt-to" /></label>
        <button data-testid="bt-run" disabled={bt.status === 'running' || first === null || strategy === null}
          title={strategy === null ? 'fix the strategy fields marked in red' : undefined}
          onClick={() => {
            const f = fromInput(btFrom) ?? first, t = fromInput(btTo) ?? last;
            if (f !== null && t !== null && strategy !== null) void controller.runBacktest(unixMs(f), unixMs(t), strategy);
          }}>{bt.status === 'running' ? 'Running…' : 'Run backtest'}</button>
      </div>
      <details className="strategy" open>
        <summary>Strategy</summary>
        <StrategyForm apiError={bt.status === 'failed' ? bt.error : null} onValid={setStrategy} />
      </details>
      <BacktestProgress />
      {bt.status === 'cancelled' && <p className="muted" data-testid="bt-cancelled">Backtest cancelled.</p>}
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
      <RunsCompare />
    </>
  );
}
