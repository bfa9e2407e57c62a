import { describe, expect, it } from 'vitest';
import { flowPlot, flowSourceLine } from './flows';

const D = 86_400_000;
const t0 = Date.UTC(2025, 7, 1);

describe('flowPlot', () => {
  it('puts positive bars above zero and negative below, on the time axis', () => {
    const p = flowPlot({ t: [t0, t0 + D, t0 + 2 * D, t0 + 3 * D], v: [3, -1, null, 0], interval_ms: D }, 400, 40);
    expect(p.zeroY).toBeCloseTo(30); // 3 of the 4 units above zero
    expect(p.bars.length).toBe(2); // null and zero draw nothing
    expect(p.bars[0]).toMatchObject({ x: 0, y: 0, h: 30, up: true });
    expect(p.bars[1]!.x).toBeCloseTo(100);
    expect(p.bars[1]).toMatchObject({ y: 30, up: false });
    expect(p.bars[1]!.h).toBeCloseTo(10);
    expect(p.ticks.map((t) => t.label)).toEqual(['2025-08-01', '2025-08-04']);
  });
  it('whale flows draw inflows up and outflows down at the same time', () => {
    const p = flowPlot({ t: [t0], v: [1], in: [4], out: [3], interval_ms: 3_600_000 }, 100, 70);
    expect(p.bars.map((b) => b.up)).toEqual([true, false]);
    expect(p.bars[0]!.h).toBeCloseTo(40);
    expect(p.bars[1]!.h).toBeCloseTo(30);
  });
  it('keeps only the newest maxBars points', () => {
    const t = Array.from({ length: 300 }, (_, i) => t0 + i * D);
    const p = flowPlot({ t, v: t.map(() => 1), interval_ms: D }, 120, 10, 120);
    expect(p.bars.length).toBe(120);
    expect(p.ticks[0]!.label).toBe(new Date(t[180]!).toISOString().slice(0, 10));
  });
  it('an empty series has no bars', () => {
    expect(flowPlot({ t: [], v: [] }, 10, 10).bars).toEqual([]);
  });
});

describe('flowSourceLine', () => {
  it('a connector says how long ago it answered, and whether that is stale', () => {
    expect(flowSourceLine({ t: [], v: [], source: 'defillama', updated_ms: 1_000_000, stale: false }, 1_000_000 + 180_000))
      .toEqual({ text: 'defillama · updated 3 min ago', stale: false });
    expect(flowSourceLine({ t: [], v: [], source: 'glassnode', updated_ms: 0, stale: true }, 3 * 3_600_000).stale).toBe(true);
  });
  it('an import says where its data ends and what it was derived from', () => {
    expect(flowSourceLine({ t: [t0], v: [1], source: 'import', derived_from: 'exchange_reserves', updated_ms: null, last_ts: t0 }, 0).text)
      .toBe('import (from exchange reserves) · data to 2025-08-01');
  });
});
