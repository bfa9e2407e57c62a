/** P(up)/P(down), expected move and volatility, confidence, regime, model version and its
 * drift score, badges. */
import type { ModelDrift } from '../domain/api-types';
import { formatPct, formatPrice, formatTime } from '../helpers/format';
import { useCockpit, useCockpitApi } from './context';

/** The drift score's reading (docs/ALERTS.md, Thresholds, measured on a year of real minutes):
 * up to 6.3 (the 99th percentile) usual, to 6.6 (the 99.9th) unusual, above a shift. A 24 h
 * window of slow features sits in a few training deciles, so ~5 is a normal day. */
export function driftLabel(d: ModelDrift | null): { text: string; title: string } {
  if (!d || d.score === null) {
    return { text: '—', title: d ? `no score yet (${d.minutes} of 60 minutes, or a model without training deciles)` : 'no drift score' };
  }
  const level = d.score <= 6.3 ? 'usual' : d.score <= 6.6 ? 'unusual' : 'shift';
  const worst = d.worst_feature ? `; largest: ${d.worst_feature} ${d.worst_psi?.toFixed(2) ?? ''}` : '';
  return { text: `${d.score.toFixed(2)} (${level})`, title: `PSI of the top features, last ${Math.round(d.minutes / 60)} h vs training${worst}` };
}

export function SidePredictionPanel() {
  const { controller } = useCockpitApi();
  const p = useCockpit((s) => s.prediction);
  const state = useCockpit((s) => s.predictionState);
  const err = useCockpit((s) => s.predictionError);
  const retry = useCockpit((s) => s.retryAfterS);
  const horizon = useCockpit((s) => s.horizon);
  const replay = useCockpit((s) => s.replay.active);
  const drift = driftLabel(useCockpit((s) => s.modelDrift));
  return (
    <section className="panel prediction" data-testid="prediction-panel" aria-label="Prediction">
      <h2>Prediction · {horizon}h {replay && <span className="badge replay">replay</span>}</h2>
      {state === 'loading' && !p && <p className="muted">Loading prediction…</p>}
      {state === 'unavailable' && (
        <div className="state-box" data-testid="model-not-ready">
          <b>Model not ready</b>
          <p className="muted">{err}{retry !== null && ` Retrying in ${retry} s.`}</p>
          <button onClick={() => void controller.loadPrediction()}>Retry now</button>
        </div>
      )}
      {state === 'error' && (
        <div className="state-box error" role="alert">
          <b>Prediction failed</b>
          <p className="muted">{err}</p>
          <button onClick={() => void controller.loadPrediction()}>Retry</button>
        </div>
      )}
      {p && (
        <>
          <div className="badges">
            {p.simulated && <span className="badge sim" data-testid="simulated-badge">SIMULATED DATA</span>}
            {p.stale && <span className="badge stale" data-testid="stale-badge">STALE</span>}
            {p.vol_fallback && <span className="badge warn">vol fallback</span>}
          </div>
          <div className="prob">
            <div className="bar"><div className="up" style={{ width: `${(p.p_up * 100).toFixed(1)}%` }} /></div>
            <div className="prob-row">
              <span className="up" data-testid="p-up">P(up) {p.p_up.toFixed(2)}</span>
              <span className="down">P(down) {p.p_down.toFixed(2)}</span>
            </div>
          </div>
          <dl className="kv">
            <dt>Expected move</dt><dd className={p.expected_move >= 0 ? 'up' : 'down'}>{formatPct(p.expected_move, true)}</dd>
            <dt>Expected volatility</dt><dd>{formatPct(p.volatility)}</dd>
            <dt>Confidence</dt><dd>{p.confidence}</dd>
            <dt>Regime</dt><dd><span className={`regime regime-${p.regime}`}>{p.regime}</span></dd>
            <dt>From close</dt><dd>{formatPrice(p.close)}</dd>
            <dt>Median at {horizon}h</dt><dd>{formatPrice(p.cone[p.cone.length - 1]?.mid)}</dd>
            <dt>1σ range</dt><dd>{formatPrice(p.cone[p.cone.length - 1]?.lower)} – {formatPrice(p.cone[p.cone.length - 1]?.upper)}</dd>
            <dt>Made at</dt><dd>{formatTime(p.t_ms)}</dd>
            <dt>Model</dt><dd className="mono small">{p.model_version}</dd>
            <dt>Model drift</dt><dd data-testid="model-drift" title={drift.title}>{drift.text}</dd>
          </dl>
        </>
      )}
    </section>
  );
}
