/** Test fixtures shared by the unit tests of domain/ and ui/ (never imported by the app). */
import type { AssetInfo } from './api-types';

/** A GET /assets row for `asset` with simulated 1m data and no champion. */
export function assetInfo(asset: string): AssetInfo {
  return {
    asset, symbol: `${asset}USDT`, quote: 'USDT', catalogued: true, live: true, sources: [], resolutions: ['1m'],
    serving: `sim:spot:${asset}USDT`, simulated: true, newest_bar_ts: 0, newest_bar: null, stale: false, model: { champion: null },
  };
}
