/** Whale and stablecoin flows: the series when a source is configured, never invented data. */
import type { FlowSeries } from '../domain/api-types';
import { formatCompact } from '../helpers/format';
import { useCockpit } from './context';

function Flow({ label, flow }: { label: string; flow: FlowSeries | null | undefined }) {
  if (!flow) return <div className="flow"><span>{label}</span><span className="muted" data-testid="no-source">no source configured</span></div>;
  const n = flow.v.length;
  const last = n > 0 ? flow.v[n - 1]! : null;
  const sum24 = flow.v.slice(-24).reduce((a, b) => a + b, 0);
  return (
    <div className="flow"><span>{label}</span>
      <span className={last !== null && last >= 0 ? 'up' : 'down'}>last {formatCompact(last)} · 24 pts {formatCompact(sum24)}</span>
    </div>
  );
}

export function FlowPanel() {
  const flows = useCockpit((s) => s.extras.flows);
  return (
    <section className="panel flows" data-testid="flow-panel" aria-label="On-chain flows">
      <h2>On-chain flows</h2>
      <Flow label="Whale in/outflows" flow={flows?.whale} />
      <Flow label="Stablecoin netflows" flow={flows?.stablecoin} />
      <Flow label="Exchange netflow" flow={flows?.exchange_netflow} />
    </section>
  );
}
