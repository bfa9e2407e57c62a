/**
 * Reconnect delays: exponential backoff with "full jitter" over a floor.
 * delay(n) = min(max, base * 2^n) scaled into [1 - jitter, 1] by a random draw, so that
 * many clients reconnecting after a server restart do not arrive in lock-step.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter, 1 = full jitter (0..cap). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 15_000, jitter: 0.5 };

export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, rand: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt));
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n, 30));
  const j = Math.min(1, Math.max(0, opts.jitter));
  return Math.round(cap * (1 - j * rand()));
}
