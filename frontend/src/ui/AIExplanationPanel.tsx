/**
 * Hover any bar: what the model believed at that bar (P(up)), the reason breakdown as bars,
 * and which signals changed against the previous bar's prediction.
 */
import { formatTime } from '../helpers/format';
import { useCockpit } from './context';

const fmt = (v: number | null) => (v == null ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));

export function AIExplanationPanel() {
  const e = useCockpit((s) => s.explanation);
  const state = useCockpit((s) => s.explainState);
  const err = useCockpit((s) => s.explainError);
  const hoverT = useCockpit((s) => s.hoverT);
  const maxAbs = Math.max(1e-9, ...(e?.reasons ?? []).map((r) => Math.abs(r.contribution)));
  const reasons = [...(e?.reasons ?? [])].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const changes = [...(e?.changes ?? [])].sort((a, b) => Math.abs(b.shap_delta) - Math.abs(a.shap_delta)).slice(0, 6);
  return (
    <section className="panel explain" data-testid="explain-panel" aria-label="Explanation">
      <h2>Why · {hoverT === null ? 'hover a bar' : formatTime(hoverT)}</h2>
      {!e && state === 'idle' && <p className="muted">Hover a bar to see what the model believed then.</p>}
      {state === 'loading' && <p className="muted">Loading…</p>}
      {state === 'error' && <p className="error" role="alert">{err}</p>}
      {e && (
        <>
          <p data-testid="explain-belief">
            At {formatTime(e.t_ms)} the model gave <b>P(up) {e.p_up.toFixed(2)}</b> over {e.horizon_hours}h
            <span className="muted small"> ({e.model_version})</span>
          </p>
          {e.direction_model_used === false && (
            <p className="muted" data-testid="no-edge">
              No directional edge at {e.horizon_hours} h: the model did not beat the base rate out of sample,
              so P(up) is the base rate. The cone still applies.
            </p>
          )}
          <div className="reasons" data-testid="explain-reasons">
            {reasons.map((r) => (
              <div className="reason" key={r.name} title={r.features.join(', ')}>
                <span className="name">{r.name}</span>
                <span className="track">
                  <span className={`fill ${r.contribution >= 0 ? 'pos' : 'neg'}`}
                    style={{ width: `${(50 * Math.abs(r.contribution)) / maxAbs}%`, [r.contribution >= 0 ? 'left' : 'right']: '50%' }} />
                </span>
                <span className="val">{r.contribution >= 0 ? '+' : ''}{r.contribution.toFixed(3)}</span>
              </div>
            ))}
          </div>
          {changes.length > 0 && (
            <>
              <h3>What changed since the previous bar</h3>
              <table className="changes">
                <tbody>
                  {changes.map((c) => (
                    <tr key={c.feature}>
                      <td>{c.feature}</td><td className="mono">{fmt(c.from)} → {fmt(c.to)}</td>
                      <td className={c.shap_delta >= 0 ? 'up' : 'down'}>{c.shap_delta >= 0 ? '▲' : '▼'} {Math.abs(c.shap_delta).toFixed(3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  );
}
