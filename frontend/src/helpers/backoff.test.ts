import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const opts = { baseMs: 100, maxMs: 2000, jitter: 0.5 };
  it('doubles per attempt without jitter draw', () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(100);
    expect(backoffDelay(1, opts, () => 0)).toBe(200);
    expect(backoffDelay(3, opts, () => 0)).toBe(800);
  });
  it('never exceeds the cap', () => {
    expect(backoffDelay(10, opts, () => 0)).toBe(2000);
    expect(backoffDelay(1000, opts, () => 0)).toBe(2000);
  });
  it('jitter shrinks the delay by at most the jitter fraction', () => {
    expect(backoffDelay(2, opts, () => 1)).toBe(200);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
  it('spreads clients apart', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(backoffDelay(4, opts));
    expect(seen.size).toBeGreaterThan(5);
  });
});
