// End-to-end checks of the panels and the server around them (run after checks_chart.mjs, in
// this order: the backtest checks use the chart's bars): backtests and saved runs, calibration,
// theme and phone layout, reconnect, /docs, flows, leaks, alerts, TLS, login.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canvasStats, CPE_BIN, launchBrowser, log, startServer } from './lib.mjs';
import { loginCheck } from './login.mjs';
import { ART, UP, DOWN, EQUITY, EQUITY_B, sleep, Fatal, waitFor, assert, pricePane, state, shot, moveOffChart, test, SERVER_ENV } from './harness.mjs';

test('a backtest renders its equity curve', async ({ page }) => {
  await page.click('[data-testid=bt-run]');
  await waitFor(async () => { const b = (await state(page)).backtest; if (b.status === 'failed') throw new Fatal(`backtest failed: ${b.error}`); return b.status === 'done'; },
    { what: 'POST /backtest then GET /backtest/{id} done', timeout: 120_000, every: 300 });
  await page.waitForSelector('[data-testid=equity-chart] canvas', { timeout: 5000 });
  await sleep(500);
  await page.locator('[data-testid=equity-chart]').scrollIntoViewIfNeeded();
  const eq = await canvasStats(page, '[data-testid=equity-chart]', [EQUITY]);
  await shot(page, 'backtest');
  const px = eq.reduce((n, c) => n + c.counts.equity, 0);
  assert(px > 150, `equity curve pixels ${px}`);
  assert((await page.locator('[data-testid=bt-metrics] tr').count()) > 0, 'no metrics rows');
});

// Issue 16: the strategy form checks a field as the API does (the API's message beside it, Run
// disabled), a backtest over weeks whose walk-forward folds are not stored yet shows its progress
// bar (folds done / total, moving) with Cancel, followed on the WebSocket's jobs channel (no GET
// /backtest/{id} while it is up), finishes and is saved (listed under its job id); two saved runs picked are overlaid
// (both equity curves drawn in their colours) with their metrics side by side.
test('strategy form then progress bar then two saved runs overlaid', async ({ page }) => {
  await page.locator('[data-testid=strategy-form]').scrollIntoViewIfNeeded();
  await page.waitForSelector('[data-testid=strategy-commission_bps]', { timeout: 10_000 });
  await page.fill('[data-testid=strategy-commission_bps]', '150');
  const err = await page.textContent('[data-testid=strategy-commission_bps-error]', { timeout: 5000 });
  assert(err === "strategy: 'commission_bps' (150) is outside [0, 100]", `field error "${err}"`);
  assert(await page.isDisabled('[data-testid=bt-run]'), 'Run is enabled with an invalid fee');
  await shot(page, 'strategy-form-error');
  await page.fill('[data-testid=strategy-commission_bps]', '10');
  // thresholds low enough for the simulated market's predictions to trade
  await page.fill('[data-testid=strategy-p_up_min]', '0.501');
  await page.fill('[data-testid=strategy-p_down_min]', '0.501');
  await page.fill('[data-testid=strategy-min_confidence]', '0');
  await page.fill('[data-testid=strategy-cost_multiple]', '0');
  assert(!(await page.isVisible('[data-testid=strategy-commission_bps-error]')), 'the error stays after a valid fee');
  // days before the previous test's run (the chart's bars): their folds are trained for this run
  // (the progress has folds to show), and the two curves do not cover each other
  const { lastT } = await state(page);
  const iso = (t) => new Date(t).toISOString().slice(0, 16);
  await page.fill('[data-testid=bt-from]', iso(lastT - 9 * 86_400_000));
  await page.fill('[data-testid=bt-to]', iso(lastT - 4 * 86_400_000));
  // the job is followed on the WebSocket's jobs channel: no GET /backtest/{id} while it is up
  assert(await page.getAttribute('[data-testid=conn]', 'data-state') === 'open', 'the WebSocket is not open');
  const polls = [];
  const onReq = (r) => { if (r.method() === 'GET' && /\/backtest\/[^/?]+$/.test(new URL(r.url()).pathname)) polls.push(r.url()); };
  page.on('request', onReq);
  const seen = new Set(); // the progress texts shown while the job runs: the bar moves
  const look = async () => {
    const b = (await state(page)).backtest;
    if (b.status === 'failed') throw new Fatal(`backtest failed: ${b.error}`);
    const text = b.status === 'running' ? await page.textContent('[data-testid=bt-progress-text]').catch(() => '') : '';
    const now = await page.getAttribute('[role=progressbar]', 'aria-valuenow', { timeout: 200 }).catch(() => null);
    if (/folds \d+\/\d+/.test(text ?? '')) seen.add(`${now} ${text.replace(/ · about .*/, '')}`);
    return b;
  };
  await page.click('[data-testid=bt-run]');
  await waitFor(async () => {
    const b = await look();
    if (b.status === 'done') throw new Fatal('the backtest ended before its progress was shown');
    return seen.size > 0;
  }, { what: 'the progress bar with folds done / total', timeout: 30_000, every: 100 });
  assert(await page.isVisible('[role=progressbar]') && await page.isEnabled('[data-testid=bt-cancel]'), 'no progress bar with an enabled Cancel');
  await page.locator('[data-testid=bt-progress]').scrollIntoViewIfNeeded();
  await shot(page, 'backtest-progress');
  await waitFor(async () => (await look()).status === 'done', { what: 'the backtest to finish', timeout: 170_000, every: 100 });
  page.off('request', onReq);
  // the bar moved: it showed folds done < total before the job finished (on an idle machine a
  // run with one fold to train can show a single partial state before "done")
  const partial = [...seen].some((x) => { const m = /folds (\d+)\/(\d+)/.exec(x); return m && Number(m[1]) < Number(m[2]); });
  assert(partial, `the progress never showed a partial state: ${[...seen].join(' | ')}`);
  assert(polls.length === 0, `GET /backtest/{id} polled ${polls.length} times while the WebSocket was up`);
  const { jobId } = (await state(page)).backtest;
  await waitFor(async () => (await page.locator(`[data-testid="run-pick-${jobId}"]`).count()) === 1, { what: `the finished run ${jobId} listed` });
  // this run and the previous test's are saved: pick the two newest
  await waitFor(async () => (await page.locator('[data-testid=run-row]').count()) >= 2, { what: 'two saved runs listed (GET /backtests)' });
  const picks = page.locator('[data-testid=run-row] input[type=checkbox]');
  await picks.nth(0).check();
  await picks.nth(1).check();
  await waitFor(async () => { const r = (await state(page)).runs; return r.compared.length === 2 && r.compared.every((c) => c.equity > 1); }, { what: 'both runs read (GET /backtests/{id})' });
  await page.waitForSelector('[data-testid=compare-chart] canvas', { timeout: 5000 });
  await page.locator('[data-testid=compare]').scrollIntoViewIfNeeded();
  await sleep(500);
  const cs = await canvasStats(page, '[data-testid=compare-chart]', [EQUITY, EQUITY_B]);
  const a = cs.reduce((n, c) => n + c.counts.equity, 0), b = cs.reduce((n, c) => n + c.counts.equityB, 0);
  await shot(page, 'runs-compared');
  assert(a > 100 && b > 100, `overlaid curves: run A ${a} px, run B ${b} px`);
  const heads = await page.$$eval('[data-testid=compare-metrics] thead th', (t) => t.map((x) => x.textContent?.trim()));
  assert(heads.join() === ',A,B', `metrics columns ${heads.join()}`);
  const cells = await page.$$eval('[data-testid=compare-metrics] tbody tr:first-child td', (t) => t.map((x) => x.textContent));
  assert(cells.length === 3 && cells[0] === 'total return', `first metrics row ${cells.join(' | ')}`);
});

// The Calibration panel shows GET /calibration's coverage for the selected asset and horizon
// beside the targets, coloured by the tolerance, and a verdict that follows from the figures.
test('the calibration view shows coverage and a verdict', async ({ page, url }) => {
  const { asset, horizon } = await state(page);
  await page.click('[data-testid=calibration-toggle]');
  await page.locator('[data-testid=calibration-panel]').scrollIntoViewIfNeeded();
  const seen = async () => ({
    verdict: await page.textContent('[data-testid=calibration-verdict]', { timeout: 20_000 }),
    cells: await page.$$eval('[data-testid^=cov-]', (els) => els.map((e) => [e.dataset.testid, e.textContent, e.className])),
  });
  // outcomes keep resolving while the test runs: compare with an answer fetched just after the
  // panel's, and reopen the panel (a fresh load) when the two differ
  let ui, api, expected;
  for (let attempt = 0; attempt < 3; attempt++) {
    ui = await seen();
    api = await (await fetch(`${url}calibration?asset=${asset}&horizon=${horizon}`)).json();
    const h = api.horizons[0];
    const tol = { sigma1: 0.02, sigma2: 0.015 };
    expected = Object.entries(h.coverage).flatMap(([w, c]) => ['sigma1', 'sigma2'].map((b) => [`cov-${b}-${w}`,
      `${c[b] === null ? '—' : c[b].toFixed(2)} n=${c.n}`, c[b] === null ? 'cal-none' : Math.abs(c[b] - h.targets[b]) <= tol[b] + 1e-12 ? 'cal-ok' : 'cal-off']));
    if (JSON.stringify(ui.cells.slice().sort()) === JSON.stringify(expected.slice().sort())) break;
    await page.click('[data-testid=calibration-toggle]');
    await page.click('[data-testid=calibration-toggle]');
  }
  await shot(page, 'calibration');
  assert(JSON.stringify(ui.cells.slice().sort()) === JSON.stringify(expected.slice().sort()),
    `coverage shown ${JSON.stringify(ui.cells)} is not the API's ${JSON.stringify(expected)}`);
  const h = api.horizons[0];
  assert(h.resolved > 0, `no resolved predictions at ${horizon} h: the backfilled day should resolve some`);
  const m = /^(cone calibrated over 30 days|cone too (narrow|wide): ([12])-sigma covered (\d\.\d\d) of outcomes)(; no directional edge at (\d+) h)?$/.exec(ui.verdict ?? '');
  assert(m, `verdict "${ui.verdict}" is not one the panel should say`);
  if (m[3]) assert(m[4] === h.coverage['30d'][`sigma${m[3]}`].toFixed(2), `verdict "${ui.verdict}" vs 30-day coverage ${JSON.stringify(h.coverage['30d'])}`);
  const noEdge = h.reliability.brier >= h.reliability.brier_base;
  assert(Boolean(m[5]) === noEdge && (!m[5] || m[6] === String(horizon)),
    `verdict "${ui.verdict}" but Brier ${h.reliability.brier} vs base rate ${h.reliability.brier_base}`);
  assert((await page.locator('[data-testid=calibration-reliability] circle').count()) > 0, 'no reliability points drawn');
  assert((await page.locator('[data-testid=calibration-daily] polyline').count()) > 0, 'no daily coverage line drawn');
  await page.click('[data-testid=calibration-toggle]');
});

test('light theme and phone layout', async ({ page }) => {
  await page.keyboard.press('t');
  await sleep(400);
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.cockpit')).backgroundColor);
  assert(bg === 'rgb(255, 255, 255)', `light theme background is ${bg}`);
  await shot(page, 'light-theme');
  await page.keyboard.press('t');
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(600);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const pane = await pricePane(page, [UP, DOWN]);
  await shot(page, 'phone');
  await page.setViewportSize({ width: 1400, height: 900 });
  assert(overflow <= 1, `page scrolls sideways by ${overflow}px at phone width`);
  assert(pane.cssW <= 390 && pane.counts.up + pane.counts.down > 50, 'chart not drawn at phone width');
});

test('reconnects after the server restarts and fills the gap', async ({ page, restartServer }) => {
  await moveOffChart(page);
  await waitFor(async () => { const s = await state(page); return s.conn === 'open' && s.load === 'ok' && !s.replay.active; }, { what: 'an open socket and live data' });
  const before = await state(page);
  await restartServer(async () => {
    await waitFor(async () => (await page.getAttribute('[data-testid=conn]', 'data-state')) === 'reconnecting', { what: 'the indicator to say reconnecting', timeout: 10_000 });
    await shot(page, 'reconnecting');
    await sleep(2500); // bars keep coming on the server side while the page is cut off
  });
  await waitFor(async () => (await page.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'the socket to reconnect', timeout: 30_000 });
  await waitFor(async () => { const s = await state(page); return s.lastT > before.lastT; }, { what: 'bars after the restart (gap fill + live)', timeout: 20_000 });
  await sleep(1500);
  const after = await state(page);
  // across the outage the cockpit comes to hold every bar the server has (gap filled; the
  // restarted server may store the minutes it missed a little later, so this is polled)
  const compare = () => page.evaluate(async (t0) => {
    const s = window.__cpe.store().getState().series;
    // the newest bars may not be in the store yet (writes trail the stream): compare up to 3 bars back
    const from = t0 - 600_000, to = s.t[s.t.length - 4];
    const md = await (await fetch(`/market-data?asset=${s.asset}&interval=1m&from=${from}&to=${to}`)).json();
    const mine = s.t.filter((t) => t >= from && t <= to);
    const theirs = md.t.filter((t) => t >= from && t <= to);
    const extra = mine.filter((t) => !theirs.includes(t));
    // an extra bar with the server's neighbours on both sides is a hole in the server's store
    const holes = extra.filter((t) => theirs.includes(t - 60_000) && theirs.includes(t + 60_000));
    return { missing: theirs.filter((t) => !mine.includes(t)), extra, holes, n: theirs.length };
  }, before.lastT);
  let diff = await compare();
  const t0 = Date.now();
  while (diff.missing.length > 0 && Date.now() - t0 < 25_000) { await sleep(1000); diff = await compare(); }
  const badLegend = await page.textContent('[data-testid=legend]');
  await shot(page, 'reconnected');
  assert(after.load === 'ok' && after.bars >= before.bars, `series after reconnect: ${after.bars} bars (before ${before.bars})`);
  assert(!/NaN/.test(badLegend), `legend shows NaN after the reconnect: ${badLegend}`);
  // The cockpit must hold every bar the server has (that is the gap fill's job). A bar the
  // cockpit received live that the restarted server no longer has is the server's loss
  // (its in-progress bar at shutdown): reported, not failed here.
  if (diff.extra.length > 0) log(`  note: bars streamed before the restart that /market-data no longer has: ${JSON.stringify(diff.extra)} (holes in the server's store: ${JSON.stringify(diff.holes)})`);
  assert(diff.n > 0 && diff.missing.length === 0,
    `after the reconnect the cockpit lacks bars that /market-data has (of ${diff.n}): ${JSON.stringify(diff.missing.slice(0, 3))}`);
});

// GET /docs: Swagger UI from the frontend build over /openapi.json, with nothing fetched from
// anywhere but the server (no CDN: the page works offline).
test('the API reference at /docs lists /predict', async ({ url, freshPage }) => {
  const f = await freshPage();
  try {
    const origin = new URL(url).origin;
    const elsewhere = [];
    f.page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
    const res = await f.page.goto(new URL('docs', url).href);
    assert(res?.status() === 200, `GET /docs answered ${res?.status()}`);
    assert((await f.page.title()) === 'cpe API reference', `title "${await f.page.title()}"`);
    const op = f.page.locator('.opblock-get .opblock-summary-path[data-path="/predict"]');
    await op.first().waitFor({ timeout: 20_000 });
    assert(await op.first().isVisible(), 'GET /predict is not shown');
    assert(await f.page.isVisible('.opblock-post .opblock-summary-path[data-path="/predict"]'), 'POST /predict is not shown');
    await f.page.screenshot({ path: join(ART, 'api-docs.png') });
    assert(elsewhere.length === 0, `the page fetched from elsewhere: ${elsewhere.slice(0, 3).join(', ')}`);
  } finally {
    await f.close();
  }
});

// CSV exports imported into the running server's store (stablecoin supply, whale flows) draw
// the flows panel: bars on the time axis, each flow naming its source; the exchange net flow,
// with no source, still says so.
test('the flows panel draws after an import', async ({ url, freshPage, store }) => {
  const D = 86_400_000, H = 3_600_000, today = Math.floor(Date.now() / D) * D;
  const dir = mkdtempSync(join(tmpdir(), 'cpe-e2e-flows-'));
  try {
    const supply = ['date,value'];
    const whale = ['ts,to_exchange_count,to_exchange_usd,from_exchange_count,from_exchange_usd'];
    for (let i = 90; i >= 1; i--) supply.push(`${new Date(today - i * D).toISOString().slice(0, 10)},${Math.round(1.5e11 + 2e9 * Math.sin(i / 6))}`);
    for (let i = 72; i >= 1; i--) whale.push(`${new Date(today - i * H).toISOString()},${i % 4},${(i % 4) * 2.5e6},${(i + 1) % 3},${((i + 1) % 3) * 3e6}`);
    writeFileSync(join(dir, 'supply.csv'), supply.join('\n') + '\n');
    writeFileSync(join(dir, 'whale.csv'), whale.join('\n') + '\n');
    execFileSync(CPE_BIN, ['import', '--db', store.db, '--series', 'CRYPTO:stablecoin_supply', join(dir, 'supply.csv')]);
    execFileSync(CPE_BIN, ['import', '--db', store.db, '--series', 'BTC:whale_flows', join(dir, 'whale.csv')]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const f = await freshPage();
  try {
    await f.page.goto(url);
    await f.page.waitForSelector('[data-testid=flow-chart-stablecoin] rect', { timeout: 20_000 });
    await f.page.locator('[data-testid=flow-panel]').scrollIntoViewIfNeeded();
    const drawn = async (name) => f.page.$$eval(`[data-testid=flow-chart-${name}] rect`, (rs) => rs.map((r) => {
      const b = r.getBoundingClientRect();
      return { w: b.width, h: b.height, fill: getComputedStyle(r).fill };
    }));
    const up = await f.page.evaluate(() => getComputedStyle(document.querySelector('.cockpit')).getPropertyValue('--up').trim());
    const sc = await drawn('stablecoin');
    // the server widens a daily flow to at least 60 days around the chart's bars
    assert(sc.length >= 50, `stablecoin: ${sc.length} bars drawn for the last 60 daily changes`);
    assert(sc.every((r) => r.w > 0 && r.h > 0), 'stablecoin: a bar without area');
    const wh = await drawn('whale');
    assert(wh.length >= 60, `whale: ${wh.length} bars drawn for 72 hours in and out`);
    const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    assert(wh.some((r) => r.fill === rgb(up)), `whale: no inflow bar in the theme's up colour ${up}`);
    const src = await f.page.textContent('[data-testid=flow-source-stablecoin]');
    assert(/^import \(from stablecoin supply\) · data to \d{4}-\d{2}-\d{2}$/.test(src ?? ''), `stablecoin source line "${src}"`);
    assert(/^import/.test((await f.page.textContent('[data-testid=flow-source-whale]')) ?? ''), 'whale source line');
    assert((await f.page.locator('[data-testid=flow-panel] [data-testid=no-source]').count()) === 1, 'exchange net flow should still say "no source configured"');
    await shot(f.page, 'flows-panel');
  } finally { await f.close(); }
});

test('mount/unmount leaks nothing', async ({ url, freshPage }) => {
  // a page of its own: the earlier checks' element queries stay referenced from the DevTools
  // console handles, and such a detached element holds (through React's fiber pointer on it)
  // the whole mount it came from, chart and data: ~10 MB present or not by chance
  const { page, cdp, close } = await freshPage();
  try {
    await page.goto(url);
    await waitFor(async () => (await state(page))?.load === 'ok', { what: 'market data loaded' });
    await leakCheck(page, cdp);
  } finally {
    await close();
  }
});

test('a toast appears when a price-cross alert fires', async ({ url, freshPage }) => {
  // docs/ALERTS.md: a rule made in the alerts panel at the last price; the simulated price
  // crosses it within seconds, the firing comes over the WebSocket "alerts" channel as a toast
  const { page, close } = await freshPage();
  const api = (path, init) => page.evaluate(async ([p, i]) => { const r = await fetch(p, i); return { status: r.status, body: await r.json() }; }, [path, init]);
  try {
    await page.goto(url);
    await waitFor(async () => (await state(page))?.load === 'ok', { what: 'market data loaded', timeout: 20_000 });
    await waitFor(async () => (await page.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'WebSocket open' });
    // right-click on the chart picks the price under the cursor as the level (the alerts panel
    // is in the side panels' chunk: it shows a level picked before it loaded, too)
    const box = await page.locator('[data-testid=price-chart] .chart-box').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 3, { button: 'right' });
    const picked = Number(await page.inputValue('[data-testid=alert-level]'));
    assert(Number.isFinite(picked) && picked > 0, `right-click picked no level (${picked})`);
    // levels 0.05 % above (made in the panel) and below (over the API) the live price: the
    // simulated walk leaves that band within seconds, crossing one of them
    const live = await page.evaluate(() => { const s = window.__cpe.store().getState().series; return s.close[s.close.length - 1]; });
    const up = Number((live * 1.0005).toFixed(2)), down = Number((live * 0.9995).toFixed(2));
    await page.fill('[data-testid=alert-level]', String(up));
    await page.click('[data-testid=alert-create]');
    const made = await api('/alerts', { method: 'POST', body: JSON.stringify({ kind: 'price_cross', asset: 'BTC', level: down, cooldown_s: 60 }) });
    assert(made.status === 201, `POST /alerts: ${made.status} ${JSON.stringify(made.body)}`);
    await waitFor(async () => (await page.locator('[data-testid=alert-rule]').count()) >= 1, { what: 'the rule in the alerts panel' });
    await waitFor(async () => page.isVisible('[data-testid=alert-toast]'), { what: `a toast for BTC crossing ${down} or ${up}`, timeout: 60_000 });
    const text = await page.textContent('[data-testid=alert-toast]');
    assert(/crossed/.test(text ?? ''), `toast says "${text}"`);
    await shot(page, 'alert-toast');
    // the firing is in the panel's history; Mute disables the rule (PATCH), ✕ deletes it
    await waitFor(async () => (await page.locator('[data-testid=alert-event]').count()) >= 1, { what: 'the firing in the alerts history' });
    const hist = await page.textContent('[data-testid=alert-history]');
    assert(/crossed/.test(hist ?? ''), `history says "${hist}"`);
    await page.locator('[data-testid=alert-mute]').first().click();
    await waitFor(async () => (await page.locator('[data-testid=alert-mute]').first().textContent()) === 'Unmute', { what: 'the rule muted' });
    const muted = (await api('/alerts')).body.alerts.filter((r) => !r.enabled);
    assert(muted.length === 1, `muted rules on the server: ${muted.length}`);
    while ((await page.locator('[data-testid=alert-delete]').count()) > 0) {
      const n = await page.locator('[data-testid=alert-delete]').count();
      await page.locator('[data-testid=alert-delete]').first().click();
      await waitFor(async () => (await page.locator('[data-testid=alert-delete]').count()) < n, { what: 'the rule deleted' });
    }
    const left = (await api('/alerts')).body.alerts;
    assert(left.length === 0, `rules left after deleting them all: ${JSON.stringify(left)}`);
  } finally {
    await close();
  }
});

test('a replay marks where an alert rule would have fired', async ({ url, freshPage }) => {
  // docs/ALERTS.md: the replay evaluates the asset's rules with the live code over the replayed bars
  const { page, close } = await freshPage();
  const api = (path, init) => page.evaluate(async ([p, i]) => { const r = await fetch(p, i); return { status: r.status, body: await r.json() }; }, [path, init]);
  let id = null;
  try {
    await page.goto(url);
    await waitFor(async () => (await state(page))?.load === 'ok', { what: 'market data loaded', timeout: 20_000 });
    await waitFor(async () => (await page.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'WebSocket open' });
    // a level the price crossed in the replayed hours (the replay starts 6 h back): their mean close
    const level = await page.evaluate(() => {
      const c = window.__cpe.store().getState().series.close.slice(-360);
      return Number((c.reduce((a, b) => a + b, 0) / c.length).toFixed(2));
    });
    const made = await api('/alerts', { method: 'POST', body: JSON.stringify({ kind: 'price_cross', asset: 'BTC', level, cooldown_s: 0 }) });
    assert(made.status === 201, `POST /alerts: ${made.status} ${JSON.stringify(made.body)}`);
    id = made.body.id;
    await moveOffChart(page);
    await page.click('[data-testid=replay-start]');
    await waitFor(async () => ((await state(page)).replay.alerts ?? []).length > 0, { what: `a replayed crossing of ${level}`, timeout: 60_000 });
    const a = (await state(page)).replay.alerts[0];
    assert(a.rule_id === id && a.kind === 'price_cross' && /crossed/.test(a.message), `replayed firing ${JSON.stringify(a)}`);
    const r = (await state(page)).replay;
    assert(a.t > r.from && a.t <= r.t + 60_000, `firing at ${a.t} outside the replayed bars (${r.from}..${r.t})`);
    await shot(page, 'replay-alert-markers');
    await page.keyboard.press('Escape');
    await waitFor(async () => !(await state(page)).replay.active, { what: 'back to live' });
  } finally {
    if (id !== null) await api(`/alerts/${id}`, { method: 'DELETE' }).catch(() => {});
    await close();
  }
});

async function leakCheck(page, cdp) {
  const cycle = async (n) => {
    for (let i = 0; i < n; i++) {
      await page.evaluate(() => window.__cpe.unmount());
      await page.evaluate(() => window.__cpe.mount());
      await waitFor(async () => (await state(page))?.load === 'ok', { what: 'remount loaded' });
    }
  };
  const heap = async () => { await cdp.send('HeapProfiler.collectGarbage'); await sleep(200); await cdp.send('HeapProfiler.collectGarbage'); return (await cdp.send('Runtime.getHeapUsage')).usedSize; };
  // heap is measured with the cockpit unmounted, so only what a mount left behind counts
  await cycle(3);
  await page.evaluate(() => window.__cpe.unmount());
  const h0 = await heap();
  await page.evaluate(() => window.__cpe.mount());
  await cycle(12);
  await page.evaluate(() => window.__cpe.unmount());
  await sleep(300);
  const h1 = await heap();
  if (process.env.E2E_HEAPSNAP && (process.env.E2E_HEAPSNAP === 'always' || (h1 - h0) / 1048576 > 3)) {
    const chunks = [];
    const onChunk = (e) => chunks.push(e.chunk);
    cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    writeFileSync('/tmp/leak.heapsnapshot', chunks.join(''));
    log('  heap snapshot written to /tmp/leak.heapsnapshot');
  }
  const c = await page.evaluate(() => window.__cpe.counters());
  const canvases = await page.evaluate(() => document.querySelectorAll('canvas').length);
  const sockets = await page.evaluate(() => window.__openSockets());
  await shot(page, 'unmounted');
  await page.evaluate(() => window.__cpe.mount());
  assert(c.charts === 0 && c.sockets === 0 && c.batchers === 0, `live objects after unmount: ${JSON.stringify(c)}`);
  assert(canvases === 0, `${canvases} canvases left in the page`);
  assert(sockets === 0, `${sockets} WebSockets still open`);
  const growMB = (h1 - h0) / 1048576;
  log(`  heap after 3 cycles ${(h0 / 1048576).toFixed(1)} MB, after 15 ${(h1 / 1048576).toFixed(1)} MB`);
  assert(growMB < 3, `heap grew ${growMB.toFixed(1)} MB over 12 mount/unmount cycles`);
  // and nothing of the last mount stays either (its chart and bars are ~12 MB)
  assert(h1 / 1048576 < 10, `${(h1 / 1048576).toFixed(1)} MB of heap with the cockpit unmounted`);
}

// HTTPS and WSS (issue #18 item 4): a second server on the same store with a self-signed
// certificate made now (openssl CLI), serving the store as it is (no second writer); a
// browser that accepts that certificate loads the cockpit over https:// and its live
// connection goes over wss://.
test('the cockpit over HTTPS and WSS (cpe serve --tls-cert)', async ({ store }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cpe-tls-'));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = await startServer(store.db, { ...SERVER_ENV, CPE_SOURCE: 'store', CPE_TLS_CERT: cert, CPE_TLS_KEY: key }, store.models);
  const b = await launchBrowser(undefined, ['--ignore-certificate-errors']);
  try {
    assert(tls.url.startsWith('https://'), `the server says ${tls.url}`);
    const p = b.ctx.pages()[0] ?? (await b.ctx.newPage());
    const sockets = [];
    p.on('websocket', (ws) => sockets.push(ws.url()));
    const resp = await p.goto(tls.url + '/');
    assert(resp?.ok(), `GET / over https: ${resp?.status()}`);
    assert(/max-age=\d+/.test(resp.headers()['strict-transport-security'] ?? ''), 'no HSTS header on the page');
    await p.waitForSelector('[data-testid=price-chart]');
    await waitFor(async () => (await state(p))?.load === 'ok', { what: 'market data over https', timeout: 20_000 });
    await waitFor(async () => (await p.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'WebSocket open over wss' });
    assert(sockets.some((u) => u.startsWith('wss://')), `the live connection is not wss: ${JSON.stringify(sockets)}`);
    await p.screenshot({ path: join(ART, 'https.png') });
  } finally {
    await b.close();
    await tls.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('login screen when auth is on', ({ store }) =>
  loginCheck({ store, env: SERVER_ENV, art: ART, waitFor, state, assert }));
