/**
 * The strategy form of a backtest (docs/BACKTEST.md, Strategy JSON): the options it shows, read
 * with their defaults and limits from GET /backtest-options (the table the server validates
 * POST /backtest with), and checked here with the same rules and the same messages, so a
 * value the form accepts is one the API accepts. An error the API still returns names its key
 * (`strategy: 'commission_bps' (150) is outside [0, 100]`): fieldOfMessage() finds the field to
 * show it next to.
 */
export interface OptionLimit {
  key: string;
  type: 'number' | 'integer' | 'boolean' | 'subset' | 'enum';
  min?: number; max?: number; exclusive?: boolean;
  values?: Array<number | string>;
}
export interface BacktestOptions { defaults: Record<string, unknown>; limits: OptionLimit[]; max_days: number }

/** The options the form shows, by group (every other key keeps its default). */
export const FORM_GROUPS: ReadonlyArray<{ group: string; fields: ReadonlyArray<{ key: string; label: string }> }> = [
  { group: 'Costs', fields: [{ key: 'commission_bps', label: 'Fee (bps)' }, { key: 'slippage_bps', label: 'Slippage (bps)' }] },
  { group: 'Signal', fields: [
    { key: 'horizons', label: 'Horizons used' },
    { key: 'p_up_min', label: 'Long when p_up ≥' }, { key: 'p_down_min', label: 'Short when p_down ≥' },
    { key: 'min_confidence', label: 'Min confidence' }, { key: 'max_daily_vol', label: 'Max daily vol' },
    { key: 'cost_multiple', label: 'Cost multiple' }, { key: 'allow_short', label: 'Allow shorts' },
  ] },
  { group: 'Sizing', fields: [{ key: 'kelly_odds', label: 'Kelly odds' }, { key: 'target_vol', label: 'Target vol' }, { key: 'max_position', label: 'Max position' }] },
  { group: 'Breakers', fields: [
    { key: 'max_consecutive_losses', label: 'Losses in a row' }, { key: 'loss_pause_h', label: 'Loss pause (h)' },
    { key: 'daily_drawdown_limit', label: 'Daily drawdown' }, { key: 'flash_move', label: 'Flash move' },
    { key: 'flash_window_h', label: 'Flash window (h)' }, { key: 'flash_halt_h', label: 'Flash halt (h)' },
    { key: 'stale_gap_min', label: 'Stale gap (min)' },
  ] },
  { group: 'Walk-forward', fields: [{ key: 'walk_forward', label: 'Optimise thresholds walk-forward' }] },
];

/** What the inputs hold: numbers as typed text, switches, the horizons ticked. */
export type FormValue = string | boolean | number[];
export type FormValues = Record<string, FormValue>;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The limit of a form key (walk_forward is a switch: its own sub-keys keep their defaults). */
export function limitOf(opts: BacktestOptions, key: string): OptionLimit {
  if (key === 'walk_forward') return { key, type: 'boolean' };
  return opts.limits.find((l) => l.key === key) ?? { key, type: 'number' };
}

/** The defaults as form values (the thresholds of the first enabled horizon); a key without a
 * default is left out (not shown, not sent). */
export function initialValues(opts: BacktestOptions): FormValues {
  const d = opts.defaults, out: FormValues = {};
  const hs = Array.isArray(d.horizons) ? d.horizons.filter((h): h is number => typeof h === 'number') : [];
  const th = isObj(d.thresholds) && hs.length ? d.thresholds[String(hs[0])] : undefined;
  for (const { fields } of FORM_GROUPS) for (const { key } of fields) {
    if (key === 'horizons') out[key] = hs;
    else if (key === 'walk_forward') out[key] = isObj(d.walk_forward) && d.walk_forward.enabled === true;
    else if (key === 'p_up_min' || key === 'p_down_min') { if (isObj(th) && th[key] !== undefined) out[key] = String(th[key]); }
    else if (typeof d[key] === 'boolean') out[key] = d[key] as boolean;
    else if (d[key] !== undefined) out[key] = String(d[key]); // a key the server does not know is not shown
  }
  return out;
}

/** The API's message for a bad value of key, or null when it is accepted (backtest/config.c). */
export function checkValue(l: OptionLimit, v: FormValue): string | null {
  const k = `strategy: '${l.key}'`;
  if (l.type === 'boolean') return typeof v === 'boolean' ? null : `${k} must be true or false`;
  if (l.type === 'subset') {
    const all = (l.values ?? []).join(', ');
    if (!Array.isArray(v) || v.length === 0) return `${k} must be a non-empty array of ${all}`;
    const bad = v.findIndex((h) => !(l.values ?? []).includes(h));
    return bad < 0 ? null : `${k}[${bad}] is not one of ${all}`;
  }
  const text = typeof v === 'string' ? v.trim() : '';
  const x = text === '' ? NaN : Number(text);
  if (l.exclusive) return Number.isFinite(x) && x > (l.min ?? -Infinity) && x < (l.max ?? Infinity) ? null : `${k} must be a number in (${l.min}, ${l.max})`;
  if (!Number.isFinite(x)) return `${k} must be a number`;
  if (x < (l.min ?? -Infinity) || x > (l.max ?? Infinity)) return `${k} (${x}) is outside [${l.min}, ${l.max}]`;
  return null;
}

/** The strategy JSON of POST /backtest and the error of every field that is not valid. */
export function buildStrategy(opts: BacktestOptions, values: FormValues): { strategy: Obj; errors: Record<string, string> } {
  const strategy: Obj = {}, errors: Record<string, string> = {};
  for (const { fields } of FORM_GROUPS) for (const { key } of fields) {
    const v = values[key];
    if (v === undefined) continue;
    const err = checkValue(limitOf(opts, key), v);
    if (err) { errors[key] = err; continue; }
    if (key === 'walk_forward') { if (v === true) strategy.walk_forward = { enabled: true }; }
    else strategy[key] = typeof v === 'string' ? Number(v) : v;
  }
  return { strategy, errors };
}

/** The form field an API message is about: its first quoted key (`'walk_forward.grid'` → walk_forward). */
export function fieldOfMessage(msg: string): string | null {
  const m = /'([a-z_]+)/.exec(msg);
  return m ? m[1]! : null;
}
