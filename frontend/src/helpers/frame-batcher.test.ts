import { describe, expect, it } from 'vitest';
import { FrameBatcher, type FrameScheduler } from './frame-batcher';

function manualFrames(): FrameScheduler & { tick(): void; pending: number } {
  let cbs: Array<() => void> = [];
  return {
    request(cb) { cbs.push(cb); return cbs.length; },
    cancel() { cbs = []; },
    tick() { const run = cbs; cbs = []; run.forEach((c) => c()); },
    get pending() { return cbs.length; },
  };
}

describe('FrameBatcher', () => {
  it('merges pushes into one flush per frame, newest per key wins', () => {
    const frames = manualFrames();
    const flushed: number[][] = [];
    const b = new FrameBatcher<number>((xs) => flushed.push(xs), frames);
    b.push('a', 1); b.push('a', 2); b.push('b', 3);
    expect(frames.pending).toBe(1);
    expect(flushed).toEqual([]);
    frames.tick();
    expect(flushed).toEqual([[2, 3]]);
    frames.tick();
    expect(flushed.length).toBe(1);
  });
  it('destroy cancels the pending flush', () => {
    const frames = manualFrames();
    const flushed: number[][] = [];
    const b = new FrameBatcher<number>((xs) => flushed.push(xs), frames);
    b.push(1, 1);
    b.destroy();
    frames.tick();
    expect(flushed).toEqual([]);
    expect(b.size).toBe(0);
  });
});
