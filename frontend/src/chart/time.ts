import type { Time } from 'lightweight-charts';
import type { UnixSec } from '../helpers/units';
/** The one place a branded second becomes the library's Time. */
export const chartTime = (t: UnixSec): Time => t as unknown as Time;
