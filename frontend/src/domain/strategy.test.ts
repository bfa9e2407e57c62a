import { describe, expect, it } from 'vitest';
import { buildStrategy, checkValue, fieldOfMessage, initialValues, type BacktestOptions } from './strategy';

// the shape GET /backtest-options answers (a part of its table)
const OPTS: BacktestOptions = {
  max_days: 400,
  defaults: { commission_bps: 4, slippage_bps: 5, allow_short: true, horizons: [4], thresholds: { 1: { p_up_min: 0.55, p_down_min: 0.55 }, 4: { p_up_min: 0.56, p_down_min: 0.57 } }, walk_forward: { enabled: false }, max_consecutive_losses: 5 },
  limits: [
    { key: 'commission_bps', type: 'number', min: 0, max: 100 },
    { key: 'slippage_bps', type: 'number', min: 0, max: 100 },
    { key: 'allow_short', type: 'boolean' },
    { key: 'max_consecutive_losses', type: 'integer', min: 0, max: 1000 },
    { key: 'p_up_min', type: 'number', min: 0.5, max: 1, exclusive: true },
    { key: 'p_down_min', type: 'number', min: 0.5, max: 1, exclusive: true },
    { key: 'horizons', type: 'subset', values: [1, 4, 8, 24] },
  ],
};

describe('strategy form', () => {
  it('starts from the server defaults (thresholds of the first enabled horizon)', () => {
    const v = initialValues(OPTS);
    expect(v.commission_bps).toBe('4');
    expect(v.p_up_min).toBe('0.56');
    expect(v.p_down_min).toBe('0.57');
    expect(v.horizons).toEqual([4]);
    expect(v.allow_short).toBe(true);
    expect(v.walk_forward).toBe(false);
  });
  it('rejects what the API rejects, with the API message', () => {
    const l = OPTS.limits[0]!;
    expect(checkValue(l, '150')).toBe("strategy: 'commission_bps' (150) is outside [0, 100]");
    expect(checkValue(l, '-1')).toBe("strategy: 'commission_bps' (-1) is outside [0, 100]");
    expect(checkValue(l, 'abc')).toBe("strategy: 'commission_bps' must be a number");
    expect(checkValue(l, '100')).toBeNull(); // the limits are inclusive
    const p = OPTS.limits[4]!;
    expect(checkValue(p, '0.5')).toBe("strategy: 'p_up_min' must be a number in (0.5, 1)"); // open interval
    expect(checkValue(p, '0.51')).toBeNull();
    expect(checkValue(OPTS.limits[6]!, [])).toBe("strategy: 'horizons' must be a non-empty array of 1, 4, 8, 24");
  });
  it('builds the strategy JSON; walk-forward on sends {enabled: true}', () => {
    const v = { ...initialValues(OPTS), commission_bps: '10', horizons: [1, 4], walk_forward: true };
    const { strategy, errors } = buildStrategy(OPTS, v);
    expect(errors).toEqual({});
    expect(strategy).toMatchObject({ commission_bps: 10, slippage_bps: 5, horizons: [1, 4], p_up_min: 0.56, allow_short: true, walk_forward: { enabled: true } });
    const bad = buildStrategy(OPTS, { ...v, slippage_bps: '101' });
    expect(Object.keys(bad.errors)).toEqual(['slippage_bps']);
  });
  it('finds the field an API message is about', () => {
    expect(fieldOfMessage("strategy: 'commission_bps' (150) is outside [0, 100]")).toBe('commission_bps');
    expect(fieldOfMessage("strategy: 'walk_forward.grid' must hold 1 to 8 thresholds")).toBe('walk_forward');
    expect(fieldOfMessage('from must be before to')).toBeNull();
  });
});
