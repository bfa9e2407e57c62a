/**
 * Branded units: a number that means milliseconds since the epoch is never passed where
 * lightweight-charts expects seconds, and a fraction (0.012) is never shown as a percent
 * without going through pct(). The brands exist only in the type system.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Milliseconds since 1970-01-01 UTC (the API's unit). */
export type UnixMs = Brand<number, 'UnixMs'>;
/** Seconds since 1970-01-01 UTC (lightweight-charts' UTCTimestamp). */
export type UnixSec = Brand<number, 'UnixSec'>;
/** A price in quote currency (USDT). */
export type Price = Brand<number, 'Price'>;
/** A fraction: 0.01 means one percent. */
export type Pct = Brand<number, 'Pct'>;

export const unixMs = (n: number): UnixMs => n as UnixMs;
export const price = (n: number): Price => n as Price;
export const pct = (n: number): Pct => n as Pct;
/** Milliseconds → whole seconds for the chart's time axis. */
export const msToSec = (t: UnixMs): UnixSec => Math.floor(t / 1000) as UnixSec;
export const secToMs = (t: UnixSec): UnixMs => (t * 1000) as UnixMs;
