// End-to-end tests of the cockpit in Debian's Chromium against the real `cpe serve`.
//   node frontend/e2e/run.mjs        (from the repo root, after `npm run build` in frontend/)
// Env: CPE_BIN (default build/cpe), CHROMIUM (default /usr/bin/chromium), E2E_ONLY=name,...,
// E2E_HEAPSNAP=1 (the leak check writes /tmp/leak.heapsnapshot when the heap grew > 3 MB;
// =always: every time).
// Fills a temp store with `cpe simulate` (+ `cpe train` when the binary has it), starts
// `cpe serve --port 0`, runs every check in order and prints `N passed, M failed` last.
// Screenshots: artifacts/e2e/<check>.png. A check that the server cannot satisfy FAILS
// (with the reason); nothing is skipped silently.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, log, makeStore, startServer } from './lib.mjs';
import { ART, SERVER_ENV, shot, sleep, tests } from './harness.mjs';
import './checks_chart.mjs';
import './checks_panels.mjs';

const ONLY = (process.env.E2E_ONLY || '').split(',').filter(Boolean);
for (const f of readdirSync(ART)) if (f.startsWith('FAIL-')) rmSync(join(ART, f)); // from an earlier run

// ---------------------------------------------------------------------------------------

async function main() {
  let passed = 0, failed = 0;
  const results = [];
  const selected = tests.filter((t) => ONLY.length === 0 || ONLY.includes(t.name));
  let store, server, browser;
  try {
    // 40 days: a backtest over the chart's bars trains walk-forward models on the 30 days before;
    // the last day backfilled with walk-forward predictions and explanations (replay, hover)
    log('e2e: filling a temp store (cpe simulate --days 40 --seed 1, backfill 1 day)');
    store = makeStore({ days: 40, backfillDays: 1 });
    store.notes.forEach((n) => log('e2e: ' + n));
    server = await startServer(store.db, SERVER_ENV, store.models);
    log(`e2e: cpe serve at ${server.url}`);
    browser = await launchBrowser();
  } catch (e) {
    log(`e2e: setup failed: ${e.message}`);
    for (const t of selected) { failed++; log(`FAIL ${t.name}: setup failed`); }
    if (server) await server.stop();
    store?.cleanup();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(1);
  }
  const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
  const errors = [];
  page.on('pageerror', (e) => { errors.push(e.message); log(`page error: ${e.stack ?? e.message}`); });
  page.on('console', (m) => { if (m.type() === 'error') log(`page console: ${m.text()}`); });
  const countSockets = () => {
    // count this page's WebSockets that are not closed (for the leak check)
    const Native = window.WebSocket;
    const all = new Set();
    window.WebSocket = class extends Native { constructor(...a) { super(...a); all.add(this); } };
    window.__openSockets = () => [...all].filter((w) => w.readyState === 0 || w.readyState === 1).length;
  };
  await page.addInitScript(countSockets);
  const cdp = await browser.ctx.newCDPSession(page);
  const freshPage = async () => {
    const p = await browser.ctx.newPage();
    await p.addInitScript(countSockets);
    const c = await browser.ctx.newCDPSession(p);
    return { page: p, cdp: c, close: async () => { await c.detach().catch(() => {}); await p.close(); } };
  };
  for (const t of selected) {
    const t0 = Date.now();
    try {
      const restartServer = async (whileDown) => {
        const port = Number(new URL(server.url).port);
        await server.stop();
        await whileDown();
        server = await startServer(store.db, SERVER_ENV, store.models, port);
      };
      await Promise.race([t.fn({ page, url: server.url + '/', errors, cdp, restartServer, freshPage, store }), sleep(180_000).then(() => { throw new Error('test timed out after 180 s'); })]);
      passed++;
      log(`ok   ${t.name} (${Date.now() - t0} ms)`);
      results.push({ name: t.name, ok: true });
    } catch (e) {
      failed++;
      log(`FAIL ${t.name}: ${e.message}`);
      results.push({ name: t.name, ok: false, error: e.message });
      await shot(page, `FAIL-${t.name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
    }
  }
  writeFileSync(join(ART, 'results.json'), JSON.stringify({ notes: store.notes, results }, null, 2));
  await browser.close();
  await server.stop();
  writeFileSync(join(ART, 'server.log'), server.logs());
  store.cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
main();
