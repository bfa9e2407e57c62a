/**
 * The strategy of a backtest (docs/BACKTEST.md): fees, slippage, thresholds, sizing, breakers,
 * horizons used and walk-forward optimisation, with the defaults and limits of GET
 * /backtest-options. A field is checked as the API checks it (domain/strategy.ts) and its
 * message shown beside it; an error the API returns anyway is shown beside the field it names.
 */
import { useEffect, useState } from 'react';
import { buildStrategy, fieldOfMessage, FORM_GROUPS, initialValues, limitOf, type BacktestOptions, type FormValues } from '../domain/strategy';
import { useCockpitApi } from './context';

export function StrategyForm({ apiError, onValid }: { apiError: string | null; onValid: (strategy: Record<string, unknown> | null) => void }) {
  const { controller } = useCockpitApi();
  const [opts, setOpts] = useState<BacktestOptions | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [values, setValues] = useState<FormValues>({});
  useEffect(() => {
    let live = true;
    controller.api.backtestOptions().then((o) => { if (live) { setOpts(o); setValues(initialValues(o)); } },
      (e: unknown) => { if (live) setLoadError(e instanceof Error ? e.message : String(e)); });
    return () => { live = false; };
  }, [controller]);
  const built = opts ? buildStrategy(opts, values) : null;
  const valid = built !== null && Object.keys(built.errors).length === 0;
  useEffect(() => { onValid(valid && built ? built.strategy : null); }, [JSON.stringify(built?.strategy), valid]); // eslint-disable-line react-hooks/exhaustive-deps
  if (loadError) return <p className="error" data-testid="strategy-error">Strategy options unavailable: {loadError}</p>;
  if (!opts) return <p className="muted small">Loading the strategy options…</p>;
  const apiField = apiError ? fieldOfMessage(apiError) : null;
  const set = (k: string, v: FormValues[string]) => setValues((s) => ({ ...s, [k]: v }));
  return (
    <form className="strategy-form" data-testid="strategy-form" onSubmit={(e) => e.preventDefault()}>
      {FORM_GROUPS.map(({ group, fields }) => (
        <fieldset key={group}><legend>{group}</legend>
          {fields.filter(({ key }) => values[key] !== undefined).map(({ key, label }) => {
            const l = limitOf(opts, key), v = values[key];
            const err = built?.errors[key] ?? (apiField === key ? apiError : null);
            let input;
            if (l.type === 'boolean') {
              input = <input type="checkbox" checked={v === true} onChange={(e) => set(key, e.target.checked)} data-testid={`strategy-${key}`} />;
            } else if (l.type === 'subset') {
              const hs = Array.isArray(v) ? v : [];
              input = <span className="row">{(l.values ?? []).map((h) => (
                <label key={h} className="small"><input type="checkbox" checked={hs.includes(h as number)} data-testid={`strategy-${key}-${h}`}
                  onChange={(e) => set(key, e.target.checked ? [...hs, h as number].sort((a, b) => a - b) : hs.filter((x) => x !== h))} />{h}h</label>))}
              </span>;
            } else {
              input = <input type="number" step="any" value={typeof v === 'string' ? v : ''} onChange={(e) => set(key, e.target.value)}
                aria-invalid={err ? true : undefined} data-testid={`strategy-${key}`} />;
            }
            return (
              <label key={key} className="field">
                <span>{label}</span>{input}
                {err && <span className="error small field-error" role="alert" data-testid={`strategy-${key}-error`}>{err}</span>}
              </label>
            );
          })}
        </fieldset>
      ))}
    </form>
  );
}
