// What the end-to-end checks share: the check registry (test(name, fn), run in the order
// registered), waits and assertions, the cockpit's state and canvas colour classes, screenshots.
import { join } from 'node:path';
import { artifactsDir, canvasStats } from './lib.mjs';

export const ART = artifactsDir();
export const UP = ['up', [38, 166, 154], 8];
export const DOWN = ['down', [239, 83, 80], 8];
export const CONE_LINE = ['coneLine', [245, 197, 66], 24];
// the 1σ band is drawn over the 2σ band: inner = 0.28·cone + 0.72·(0.12·cone + 0.88·bg)
export const CONE_BAND = ['coneBand', [99, 83, 39], 8];
export const EQUITY = ['equity', [79, 195, 247], 24];
export const EQUITY_B = ['equityB', [255, 138, 101], 24];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** An error that ends a wait at once (the server answered, and the answer is a failure). */
export class Fatal extends Error {}
export async function waitFor(fn, { timeout = 15_000, every = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeout) {
    try { last = await fn(); if (last) return last; } catch (e) { if (e instanceof Fatal) throw e; last = e; }
    await sleep(every);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
export function assert(cond, msg) { if (!cond) throw new Error(msg); }

/** The price pane: the largest opaque canvas of the cockpit chart. */
export async function pricePane(page, classes) {
  const all = await canvasStats(page, '[data-testid=price-chart] .chart-box', classes);
  assert(all.length > 0, 'no opaque chart canvas found');
  return all.reduce((a, b) => (a.w * a.h >= b.w * b.h ? a : b));
}
export const state = (page) => page.evaluate(() => window.__cpe?.state());
export async function predictionProblem(page) {
  const s = await state(page);
  if (s?.predictionState === 'unavailable' || s?.predictionState === 'error') {
    const text = (await page.innerText('[data-testid=prediction-panel]')).replace(/\s+/g, ' ').slice(0, 200);
    return `the cockpit shows "${text}"`;
  }
  return null;
}
export async function waitForPrediction(page, extra = () => true) {
  await waitFor(async () => {
    const s = await state(page);
    if (s?.predictionState === 'ok' && (await extra(s))) return true;
    const problem = await predictionProblem(page);
    if (problem) throw new Fatal(`GET /predict gave no prediction: ${problem}`);
    return false;
  }, { what: 'a prediction (GET /predict)', timeout: 20_000 });
}
export const shot = (page, name) => page.screenshot({ path: join(ART, `${name}.png`) });
export async function moveOffChart(page) { await page.mouse.move(5, 5); }

// a simulated minute every second: new bars (and the predictions made at their close) arrive quickly
export const SERVER_ENV = { CPE_LIVE_TICK_MS: '250', CPE_LIVE_MINUTE_MS: '1000', CPE_SOURCE: 'simulate' };

/** The checks in the order they run (checks_*.mjs register them as run.mjs imports them). */
export const tests = [];
export const test = (name, fn) => tests.push({ name, fn });
