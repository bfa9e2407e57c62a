/**
 * Hindsight ("ideal") entry and exit points: the swing lows and highs of a zig-zag with a
 * minimum swing, i.e. where a long-only trader with perfect foresight would have bought and
 * sold. Computed from the bars themselves; nothing is invented.
 */
import type { UnixMs } from '../helpers/units';
import type { BarSeries } from './series';

export interface HindsightPoint { t: UnixMs; price: number; kind: 'entry' | 'exit' }

export function hindsightPoints(s: BarSeries, minSwing: number): HindsightPoint[] {
  const n = s.t.length;
  if (n < 2 || !(minSwing > 0)) return [];
  const pivots: HindsightPoint[] = [];
  // direction: +1 looking for a high (after a low), -1 looking for a low
  let dir = 0;
  let extI = 0;
  let extP = s.close[0]!;
  let lowI = 0, highI = 0;
  for (let i = 1; i < n; i++) {
    const hi = s.high[i]!, lo = s.low[i]!;
    if (dir === 0) {
      if (hi > s.high[highI]!) highI = i;
      if (lo < s.low[lowI]!) lowI = i;
      if (s.high[highI]! >= s.low[lowI]! * (1 + minSwing) && highI > lowI) {
        pivots.push({ t: s.t[lowI]!, price: s.low[lowI]!, kind: 'entry' });
        dir = 1; extI = highI; extP = s.high[highI]!;
      } else if (s.low[lowI]! <= s.high[highI]! * (1 - minSwing) && lowI > highI) {
        dir = -1; extI = lowI; extP = s.low[lowI]!;
      }
      continue;
    }
    if (dir === 1) {
      if (hi > extP) { extP = hi; extI = i; }
      else if (lo <= extP * (1 - minSwing)) {
        pivots.push({ t: s.t[extI]!, price: extP, kind: 'exit' });
        dir = -1; extI = i; extP = lo;
      }
    } else {
      if (lo < extP) { extP = lo; extI = i; }
      else if (hi >= extP * (1 + minSwing)) {
        pivots.push({ t: s.t[extI]!, price: extP, kind: 'entry' });
        dir = 1; extI = i; extP = hi;
      }
    }
  }
  return pivots;
}
