/**
 * Calibration: can today's cone be trusted? For the selected asset and horizon, the cone's
 * 1σ / 2σ coverage over the last 7 and 30 days beside the targets (green within tolerance,
 * amber outside), the daily coverage, the p_up reliability diagram and a one-line verdict,
 * from GET /calibration. Opened from its header; while open it reloads on an asset or horizon
 * change and every minute (outcomes resolve as time passes); closing or unmounting aborts.
 */
import { useEffect, useState } from 'react';
import {
  calibrationView, dailyLines, formatCoverage, reliabilityPoints, type Band, type CalibrationView, type CoverageCell,
} from '../domain/calibration';
import { useCockpit, useCockpitApi } from './context';

const REFRESH_MS = 60_000;
const BAND_LABEL: Record<Band, string> = { sigma1: '1σ', sigma2: '2σ' };
const DAILY = { w: 220, h: 70, pad: 6 };
const DAY_LABEL_H = 12;
const REL = { w: 120, h: 120, pad: 10 };

function CoverageTable({ cells }: { cells: CoverageCell[] }) {
  const windows = [...new Set(cells.map((c) => c.window))];
  return (
    <table className="cal-table" data-testid="calibration-coverage">
      <thead><tr><th />{windows.map((w) => <th key={w}>{w}</th>)}<th>target</th></tr></thead>
      <tbody>
        {(['sigma1', 'sigma2'] as const).map((band) => {
          const row = cells.filter((c) => c.band === band);
          return (
            <tr key={band}>
              <th>{BAND_LABEL[band]}</th>
              {row.map((c) => (
                <td key={c.window} className={`cal-${c.status}`} data-testid={`cov-${band}-${c.window}`} title={`${c.n} outcomes`}>
                  {formatCoverage(c.value)} <span className="muted small">n={c.n}</span>
                </td>
              ))}
              <td className="muted">{row[0]?.target.toFixed(3)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function DailyChart({ v }: { v: CalibrationView }) {
  const s1 = dailyLines(v.daily, 'sigma1', v.cells[0]?.target ?? 0.683, DAILY);
  const s2 = dailyLines(v.daily, 'sigma2', v.cells[1]?.target ?? 0.954, DAILY);
  const first = v.daily[0]?.day.slice(5), last = v.daily[v.daily.length - 1]?.day.slice(5);
  return (
    <svg className="cal-chart" viewBox={`0 0 ${DAILY.w} ${DAILY.h + DAY_LABEL_H}`} role="img" aria-label="daily coverage" data-testid="calibration-daily">
      <text className="cal-axis" x={DAILY.pad} y={DAILY.h + DAY_LABEL_H - 2}>{first}</text>
      <text className="cal-axis" x={DAILY.w - DAILY.pad} y={DAILY.h + DAY_LABEL_H - 2} textAnchor="end">{last}</text>
      <line className="cal-target s1" x1={DAILY.pad} x2={DAILY.w - DAILY.pad} y1={s1.targetY} y2={s1.targetY} />
      <line className="cal-target s2" x1={DAILY.pad} x2={DAILY.w - DAILY.pad} y1={s2.targetY} y2={s2.targetY} />
      {s1.runs.map((r, i) => <polyline key={`a${i}`} className="cal-line s1" points={r} />)}
      {s2.runs.map((r, i) => <polyline key={`b${i}`} className="cal-line s2" points={r} />)}
    </svg>
  );
}

function Reliability({ v }: { v: CalibrationView }) {
  const pts = reliabilityPoints(v.bins, REL);
  const lo = REL.pad, hi = REL.w - REL.pad;
  return (
    <svg className="cal-chart rel" viewBox={`0 0 ${REL.w} ${REL.h}`} role="img" aria-label="reliability of P(up)" data-testid="calibration-reliability">
      <rect className="cal-frame" x={lo} y={lo} width={hi - lo} height={hi - lo} />
      <line className="cal-diag" x1={lo} y1={hi} x2={hi} y2={lo} />
      {pts.map((p, i) => (
        <g key={i}>
          <circle className="cal-point" cx={p.cx} cy={p.cy} r={p.r}><title>{p.n} predictions</title></circle>
          <text className="cal-axis" x={p.cx + p.r + 1} y={p.cy + 3}>{p.n}</text>
        </g>
      ))}
      <text className="cal-axis" x={lo} y={REL.h - 1}>P(up) →</text>
    </svg>
  );
}

export function CalibrationPanel() {
  const { controller } = useCockpitApi();
  const asset = useCockpit((s) => s.asset);
  const horizon = useCockpit((s) => s.horizon);
  const [open, setOpen] = useState(false);
  const [view, setView] = useState<CalibrationView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    const ab = new AbortController();
    const load = () => {
      controller.api.calibration({ asset, horizon }, ab.signal).then(
        (r) => { setView(calibrationView(r, horizon)); setError(null); },
        (e: unknown) => { if (!ab.signal.aborted) setError(e instanceof Error ? e.message : String(e)); },
      );
    };
    setView(null);
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => { ab.abort(); clearInterval(timer); };
  }, [open, asset, horizon, controller]);

  return (
    <section className="panel calibration" data-testid="calibration-panel" aria-label="Calibration">
      <h2>
        <button className="linklike" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="calibration-toggle">
          {open ? '▾' : '▸'} Calibration · {asset} {horizon}h
        </button>
      </h2>
      {open && error && <p className="error" role="alert">{error}</p>}
      {open && !error && !view && <p className="muted">Loading calibration…</p>}
      {open && view && (
        <>
          <p className="cal-verdict" data-testid="calibration-verdict">{view.verdict}</p>
          <CoverageTable cells={view.cells} />
          <h3>Daily coverage <span className="cal-key s1">1σ</span> <span className="cal-key s2">2σ</span></h3>
          <DailyChart v={view} />
          <h3>P(up) reliability</h3>
          <div className="row">
            <Reliability v={view} />
            <dl className="kv small">
              <dt>Brier (model)</dt><dd data-testid="brier">{view.brier === null ? '—' : view.brier.toFixed(4)}</dd>
              <dt>Brier (base rate)</dt><dd>{view.brierBase === null ? '—' : view.brierBase.toFixed(4)}</dd>
              <dt>Resolved</dt><dd>{view.resolved}</dd>
              <dt>Pending</dt><dd>{view.pending}</dd>
            </dl>
          </div>
        </>
      )}
    </section>
  );
}
