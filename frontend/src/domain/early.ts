/**
 * The default view's first answers, asked for as the module starts (index.html preloads the
 * same URLs) and parsed as soon as they arrive, not when the controller starts after React's
 * first render: on a cold engine the main thread is busy for hundreds of ms in between.
 * Api.json() takes an early answer once, for exactly its path; anything else, and any later
 * call, fetches as usual. Answers nobody took are dropped after `keepMs`.
 */
const early = new Map<string, Promise<{ ok: boolean; body: unknown } | null>>();

export function fetchEarly(base: string, paths: readonly string[], fetchFn: typeof fetch = fetch, keepMs = 10_000): void {
  for (const p of paths) {
    early.set(p, fetchFn(base + p).then(async (r) => (r.ok ? { ok: true, body: await r.json() } : null)).catch(() => null));
  }
  setTimeout(() => { for (const p of paths) early.delete(p); }, keepMs);
}

/** The early answer for path (once), or null when there is none: then the caller fetches it
 * itself (also when the early one failed: the promise gives null). Synchronous when there is
 * none, so other requests wait for nothing. */
export function takeEarly(path: string): Promise<unknown | null> | null {
  const p = early.get(path);
  if (!p) return null;
  early.delete(path);
  return p.then((r) => (r?.ok ? r.body : null));
}
