/**
 * Live-object counters for leak checks: every chart and socket increments on create and
 * decrements on destroy. The end-to-end mount/unmount test reads them from the page.
 */
export type CounterName = 'charts' | 'sockets' | 'batchers';
const counts: Record<CounterName, number> = { charts: 0, sockets: 0, batchers: 0 };

export const liveCounters = {
  inc(name: CounterName): void {
    counts[name] += 1;
  },
  dec(name: CounterName): void {
    counts[name] -= 1;
  },
  snapshot(): Record<CounterName, number> {
    return { ...counts };
  },
};
