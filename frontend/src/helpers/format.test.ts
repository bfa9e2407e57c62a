import { describe, expect, it } from 'vitest';
import { formatCompact, formatPct, formatPrice, formatTime } from './format';

describe('format', () => {
  it('prices by magnitude', () => {
    expect(formatPrice(108246.44)).toBe('108246.4');
    expect(formatPrice(12.345)).toBe('12.35');
    expect(formatPrice(null)).toBe('—');
  });
  it('percent with sign', () => {
    expect(formatPct(0.008, true)).toBe('+0.80%');
    expect(formatPct(-0.0123, true)).toBe('-1.23%');
    expect(formatPct(Number.NaN)).toBe('—');
  });
  it('compact and time', () => {
    expect(formatCompact(1_234_567)).toBe('1.23M');
    expect(formatTime(1756684800000)).toBe('2025-09-01 00:00 UTC');
  });
});
