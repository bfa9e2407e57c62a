import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ISeriesApi, SeriesType, Time } from 'lightweight-charts';
import { fromColumnar, mergeBars } from '../domain/series';
import { SeriesFeed } from './series-feed';

function fakeSeries() {
  const calls: Array<['set', number] | ['update', number]> = [];
  const s = { setData: (d: unknown[]) => calls.push(['set', d.length]), update: (p: { v: number }) => calls.push(['update', p.v]) };
  return { s: s as unknown as ISeriesApi<SeriesType, Time>, calls };
}
function bars(n: number) {
  const t = Array.from({ length: n }, (_, i) => i * 60_000);
  return fromColumnar({ asset: 'BTC', symbol: 'BTCUSDT', interval: '1m', simulated: false, t, open: t.map(() => 1), high: t.map(() => 1), low: t.map(() => 1), close: t.map((_, i) => i), volume: t.map(() => 1) });
}
const all = (s: ReturnType<typeof bars>) => s.close.map((v) => ({ v }));
const at = (s: ReturnType<typeof bars>, i: number) => ({ v: s.close[i]! });

describe('SeriesFeed', () => {
  let frames: Array<() => void> = [];
  beforeEach(() => {
    frames = [];
    vi.useFakeTimers();
    vi.stubGlobal('requestAnimationFrame', (cb: () => void) => { frames.push(cb); return frames.length; });
  });
  afterEach(() => { vi.useRealTimers(); vi.unstubAllGlobals(); });
  const nextFrame = () => { const f = frames; frames = []; f.forEach((cb) => cb()); vi.runAllTimers(); };

  it('small series: one setData, then updates for the tail only', () => {
    const { s, calls } = fakeSeries();
    const feed = new SeriesFeed(s, all, at, null, 100);
    let b = bars(10);
    expect(feed.feed(b, 1)).toBe('set');
    b = mergeBars(b, [{ t: 9 * 60_000, open: 1, high: 1, low: 1, close: 99, volume: 1 }, { t: 10 * 60_000, open: 1, high: 1, low: 1, close: 100, volume: 1 }], 1000).series;
    expect(feed.feed(b, 1)).toBe('update');
    expect(calls).toEqual([['set', 10], ['update', 99], ['update', 100]]);
    expect(feed.feed(b, 2)).toBe('set'); // a new rev redraws everything
  });
  it('large series: the tail first, the whole history after the next frame', () => {
    const { s, calls } = fakeSeries();
    const feed = new SeriesFeed(s, all, at, null, 100);
    let b = bars(1000);
    feed.feed(b, 1);
    expect(calls).toEqual([['set', 100]]);
    b = mergeBars(b, [{ t: 1000 * 60_000, open: 1, high: 1, low: 1, close: 5, volume: 1 }], 5000).series;
    feed.feed(b, 1); // a live bar before the history is attached
    nextFrame();
    expect(calls).toEqual([['set', 100], ['update', 999], ['update', 5], ['set', 1001]]);
  });
  it('attaching the history keeps the view anchored by the chart', () => {
    const { s, calls } = fakeSeries();
    const log: string[] = [];
    const anchor = { keepRightEdge: (fn: () => void) => { log.push('before'); fn(); log.push(`after:${calls.length}`); } };
    const feed = new SeriesFeed(s, all, at, anchor, 100);
    feed.feed(bars(500), 1);
    nextFrame();
    expect(log).toEqual(['before', 'after:2']);
  });
  it('the first frame gets what the chart asks for (its paintBars), capped by tailBars', () => {
    const { s, calls } = fakeSeries();
    let want = 40;
    const anchor = { keepRightEdge: (fn: () => void) => fn(), paintBars: () => want };
    const feed = new SeriesFeed(s, all, at, anchor, 100);
    feed.feed(bars(1000), 1);
    expect(feed.chartLength).toBe(40);
    nextFrame();
    expect(feed.chartLength).toBe(1000);
    want = 5000; // more than the cap
    feed.feed(bars(1000), 2);
    want = 90; // more than the history: all of it at once
    feed.feed(bars(80), 3);
    expect(calls).toEqual([['set', 40], ['set', 1000], ['set', 100], ['set', 80]]);
  });
  it('a destroyed feed attaches nothing', () => {
    const { s, calls } = fakeSeries();
    const feed = new SeriesFeed(s, all, at, null, 100);
    feed.feed(bars(1000), 1);
    feed.destroy();
    nextFrame();
    expect(calls).toEqual([['set', 100]]);
  });
});
