/** P(up)/P(down), expected move and volatility, confidence, regime, model version, badges. */
import { formatPct, formatPrice, formatTime } from '../helpers/format';
import { useCockpit, useCockpitApi } from './context';

export function SidePredictionPanel() {
  const { controller } = useCockpitApi();
  const p = useCockpit((s) => s.prediction);
  const state = useCockpit((s) => s.predictionState);
  const err = useCockpit((s) => s.predictionError);
  const retry = useCockpit((s) => s.retryAfterS);
  const horizon = useCockpit((s) => s.horizon);
  const replay = useCockpit((s) => s.replay.active);
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
          </dl>
        </>
      )}
    </section>
  );
}
