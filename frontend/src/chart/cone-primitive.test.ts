import { describe, expect, it } from 'vitest';
import { affinePriceToY, coneGeometry, coneLogicals, coneRange, futureSlotsPlan, slotSlack, slotTimes, type ConePt } from './cone-primitive';

const M = 60; // 1m bars, seconds
const LAST = 1_700_000_000 - (1_700_000_000 % M); // the last bar's open time
const pt = (time: number, median: number, w = 1): ConePt => ({ time, median, lo1: median - w, hi1: median + w, lo2: median - 2 * w, hi2: median + 2 * w });

describe('coneLogicals', () => {
  it('places future points by whole intervals past the last bar', () => {
    const pts = [pt(LAST + M, 100), pt(LAST + 2 * M, 101), pt(LAST + 240 * M, 110)];
    expect(coneLogicals(pts, { time: LAST, logical: 9999 }, M, () => null)).toEqual([10000, 10001, 10239]);
  });

  it('uses the time scale for points at or before the last bar (a gap in the bars shifts them)', () => {
    // bars at LAST-3m, LAST-1m (LAST-2m missing), LAST: indices 7, 8, 9
    const index = new Map([[LAST - 3 * M, 7], [LAST - M, 8], [LAST, 9]]);
    const pts = [pt(LAST - 3 * M, 1), pt(LAST - 2 * M, 2), pt(LAST - M, 3), pt(LAST, 4), pt(LAST + M, 5)];
    expect(coneLogicals(pts, { time: LAST, logical: 9 }, M, (t) => index.get(t) ?? null)).toEqual([7, null, 8, 9, 10]);
  });

  it('needs a last bar and a positive interval', () => {
    const pts = [pt(LAST + M, 1)];
    expect(coneLogicals(pts, null, M, () => 0)).toEqual([null]);
    expect(coneLogicals(pts, { time: LAST, logical: 0 }, 0, () => 0)).toEqual([null]);
  });

  it('follows a new bar: the same cone moves one slot left relative to the new last bar', () => {
    const pts = [pt(LAST + M, 1), pt(LAST + 2 * M, 2)];
    const before = coneLogicals(pts, { time: LAST, logical: 50 }, M, () => null);
    const after = coneLogicals(pts, { time: LAST + M, logical: 51 }, M, (t) => (t === LAST + M ? 51 : null));
    expect(after).toEqual(before);
  });
});

describe('coneGeometry', () => {
  it('maps logicals and prices to pixels and skips what cannot be placed', () => {
    const pts = [pt(LAST + M, 100), pt(LAST + 2 * M, 200), pt(LAST + 3 * M, 300)];
    const g = coneGeometry(pts, [10, null, 12], (l) => l * 5, (p) => (p === 302 ? null : 1000 - p));
    // the second has no logical; the third's hi2 (302) has no y
    expect(g.x).toEqual([50]);
    expect(g).toEqual({ x: [50], med: [900], lo1: [901], hi1: [899], lo2: [902], hi2: [898] });
  });

  it('keeps every point in order when all are placeable', () => {
    const pts = Array.from({ length: 240 }, (_, k) => pt(LAST + (k + 1) * M, 100 + k));
    const g = coneGeometry(pts, coneLogicals(pts, { time: LAST, logical: 99 }, M, () => null), (l) => l, (p) => p);
    expect(g.x.length).toBe(240);
    expect(g.x[0]).toBe(100);
    expect(g.x[239]).toBe(339);
    expect(g.hi2[239]).toBe(100 + 239 + 2);
  });
});

describe('coneRange (autoscale)', () => {
  const pts = [pt(LAST + M, 100, 1), pt(LAST + 2 * M, 110, 5), pt(LAST + 3 * M, 90, 20)];
  const ls = [11, 12, 13];
  it('spans the 2σ band of the points in the visible logical range', () => {
    expect(coneRange(pts, ls, 0, 12)).toEqual({ minValue: 98, maxValue: 120 });
    expect(coneRange(pts, ls, 0, 100)).toEqual({ minValue: 50, maxValue: 130 });
  });
  it('counts the neighbour just past a visible edge (the band is drawn up to it)', () => {
    expect(coneRange(pts, ls, 0, 11.5)).toEqual({ minValue: 98, maxValue: 120 });
    expect(coneRange(pts, ls, 12.5, 100)).toEqual({ minValue: 50, maxValue: 130 });
  });
  it('is null when the cone is out of view or unplaced', () => {
    expect(coneRange(pts, ls, 0, 10)).toBeNull();
    expect(coneRange(pts, ls, 20, 30)).toBeNull();
    expect(coneRange(pts, [null, null, null], 0, 100)).toBeNull();
  });
});

describe('futureSlotsPlan', () => {
  const end = LAST + 240 * M;
  const slack = slotSlack(240);
  it('starts the span one slot after the last bar and reaches slack slots past the cone', () => {
    expect(slack).toBe(60);
    expect(futureSlotsPlan(null, LAST, end, M, slack)).toEqual({ from: LAST + M, to: end + 60 * M });
  });
  it('keeps the span while it fits: a new bar, a prediction one bar later', () => {
    const cur = { from: LAST + M, to: end + 60 * M };
    expect(futureSlotsPlan(cur, LAST, end, M, slack)).toBe('keep');
    expect(futureSlotsPlan(cur, LAST + M, end + M, M, slack)).toBe('keep');
    expect(futureSlotsPlan(cur, LAST + 59 * M, end + 59 * M, M, slack)).toBe('keep');
  });
  it('renews it when bars have grown into it by slack slots or the cone outgrows it', () => {
    const cur = { from: LAST + M, to: end + 60 * M };
    expect(futureSlotsPlan(cur, LAST + 61 * M, end + 30 * M, M, slack)).toEqual({ from: LAST + 62 * M, to: end + 90 * M });
    expect(futureSlotsPlan(cur, LAST, end + 61 * M, M, slack)).toEqual({ from: LAST + M, to: end + 121 * M });
  });
  it('shrinks it after a switch to a much shorter cone, and renews it after a jump of the bars', () => {
    const long = { from: LAST + M, to: LAST + 1500 * M };
    expect(futureSlotsPlan(long, LAST, LAST + 60 * M, M, slotSlack(60))).toEqual({ from: LAST + M, to: LAST + 75 * M });
    // a history that ends earlier (another asset) would leave a hole before the span
    expect(futureSlotsPlan({ from: LAST + M, to: end + 60 * M }, LAST - 10 * M, end, M, slack)).toEqual({ from: LAST - 9 * M, to: end + 60 * M });
  });
  it('clears it when there is no bar, no cone, or a cone that ended', () => {
    const cur = { from: LAST + M, to: end };
    expect(futureSlotsPlan(cur, null, end, M, slack)).toBeNull();
    expect(futureSlotsPlan(cur, LAST, null, M, slack)).toBeNull();
    expect(futureSlotsPlan(cur, end, end, M, slack)).toBeNull();
    expect(futureSlotsPlan(null, LAST, null, M, slack)).toBe('keep');
  });
  it('slotTimes lists one time per slot, inclusive', () => {
    expect(slotTimes({ from: LAST + M, to: LAST + 4 * M }, M)).toEqual([LAST + M, LAST + 2 * M, LAST + 3 * M, LAST + 4 * M]);
    expect(slotTimes({ from: LAST + M, to: LAST + 100 * M }, M, 10).length).toBe(10);
  });
});

describe('affinePriceToY', () => {
  it('matches an affine scale everywhere from two reference prices', () => {
    let calls = 0;
    const toY = (p: number) => { calls++; return 400 - (p - 60_000) * 0.08; };
    const f = affinePriceToY(toY, 59_000, 61_000)!;
    expect(calls).toBe(2);
    for (const p of [58_000, 59_500, 60_000, 60_123.45, 62_000]) expect(f(p)).toBeCloseTo(toY(p), 9);
  });
  it('gives up when the references coincide or cannot be converted', () => {
    expect(affinePriceToY((p) => p, 5, 5)).toBeNull();
    expect(affinePriceToY((p) => (p > 10 ? null : p), 5, 20)).toBeNull();
    expect(affinePriceToY((p) => p, 5, Number.NaN)).toBeNull();
  });
});
