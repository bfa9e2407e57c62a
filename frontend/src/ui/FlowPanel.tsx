/**
 * On-chain flows: whale transfers to/from exchanges, stablecoin supply change and exchange
 * net flow, each drawn on its time axis with its source and freshness when a source exists;
 * "no source configured" otherwise — never invented data.
 */
import type { FlowSeries } from '../domain/api-types';
import { flowPlot, flowSourceLine } from '../domain/flows';
import { formatCompact } from '../helpers/format';
import { useCockpit } from './context';

const W = 280, H = 48;

function FlowChart({ flow, name }: { flow: FlowSeries; name: string }) {
  const p = flowPlot(flow, W, H);
  return (
    <svg className="flow-chart" data-testid={`flow-chart-${name}`} viewBox={`0 0 ${W} ${H + 12}`} role="img" aria-label={`${name} over time`}>
      <line x1={0} x2={W} y1={p.zeroY} y2={p.zeroY} className="flow-zero" />
      {p.bars.map((b, i) => <rect key={i} x={b.x} y={b.y} width={b.w} height={Math.max(b.h, 0.5)} className={b.up ? 'flow-up' : 'flow-down'} />)}
      {p.ticks.map((t, i) => <text key={i} x={t.x} y={H + 10} textAnchor={i === 0 ? 'start' : 'end'} className="flow-tick">{t.label}</text>)}
    </svg>
  );
}

function Flow({ label, name, flow }: { label: string; name: string; flow: FlowSeries | null | undefined }) {
  if (!flow) return <div className="flow"><span>{label}</span><span className="muted" data-testid="no-source">no source configured</span></div>;
  const n = flow.v.length;
  const last = n > 0 ? flow.v[n - 1] ?? null : null;
  const src = flowSourceLine(flow, Date.now());
  return (
    <div className="flow-block" data-testid={`flow-${name}`}>
      <div className="flow"><span>{label}</span>
        <span className={last !== null && last >= 0 ? 'up' : 'down'}>last {formatCompact(last)}</span>
      </div>
      <div className="flow-source muted" data-testid={`flow-source-${name}`}>
        {src.text}{src.stale && <span className="badge stale" data-testid={`flow-stale-${name}`}> stale</span>}
      </div>
      <FlowChart flow={flow} name={name} />
    </div>
  );
}

export function FlowPanel() {
  const flows = useCockpit((s) => s.extras.flows);
  return (
    <section className="panel flows" data-testid="flow-panel" aria-label="On-chain flows">
      <h2>On-chain flows</h2>
      <Flow label="Whale flows to / from exchanges (USD)" name="whale" flow={flows?.whale} />
      <Flow label="Stablecoin supply change (USD)" name="stablecoin" flow={flows?.stablecoin} />
      <Flow label="Exchange net flow" name="exchange_netflow" flow={flows?.exchange_netflow} />
    </section>
  );
}
