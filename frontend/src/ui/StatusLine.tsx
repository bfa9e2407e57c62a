/**
 * The line under the chart: what each pane shows, and where the data comes from (the server's
 * /health source note: live exchange, simulator and why, or the store) with what is stale.
 */
import { useCockpit } from './context';

export function StatusLine() {
  const source = useCockpit((s) => s.source);
  const stale = source?.staleKinds ?? [];
  return (
    <div className="status-line muted small">
      <span>panes: price · volume · basis (left) │ OI │ funding │ CVD │ liquidations long (down) / short (up)</span>
      {source && (
        <span className="source-note" data-testid="source-note" title={source.note}>
          data: {source.note || source.source}{stale.length > 0 ? ` · stale: ${stale.join(', ')}` : ''}
        </span>
      )}
    </div>
  );
}
