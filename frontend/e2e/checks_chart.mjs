// End-to-end checks of the chart (run.mjs runs them first, in this order): page load, assets,
// first frame, candles and cone, horizons, explanations on hover, live updates, replay.
import { UP, DOWN, CONE_LINE, CONE_BAND, sleep, Fatal, waitFor, assert, pricePane, state, waitForPrediction, shot, moveOffChart, test } from './harness.mjs';

test('page loads', async ({ page, url, errors }) => {
  await page.goto(url);
  await page.waitForSelector('[data-testid=price-chart]');
  assert((await page.title()) === 'cpe cockpit', 'title');
  await waitFor(async () => (await state(page))?.load === 'ok', { what: 'market data loaded', timeout: 20_000 });
  const st = await state(page);
  assert(st.bars > 100, `only ${st.bars} bars loaded`);
  await waitFor(async () => (await page.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'WebSocket open' });
  assert(await page.isVisible('[data-testid=sim-market]'), 'simulated store but no "SIMULATED DATA" badge');
  // why the data is simulated, from the server's /health (here: started with --source simulate)
  await page.waitForSelector('[data-testid=source-note]', { timeout: 10_000 });
  const note = await page.textContent('[data-testid=source-note]');
  assert(/simulat/i.test(note ?? ''), `source note "${note}" does not say the data is simulated`);
  // the side panels are a chunk loaded after the chart's first frame (docs/FRONTEND.md, Cold load)
  await page.waitForSelector('[data-testid=flow-panel] >> text=no source configured', { timeout: 10_000 }).catch(() => {});
  assert(await page.isVisible('text=no source configured'), 'flow panel should say "no source configured"');
  await shot(page, 'page-loads');
  assert(errors.length === 0, `page errors: ${errors.join(' | ')}`);
});

// The switcher is the server's list (GET /assets), not a compiled-in one: the store holds BTC
// and ETH (the default CPE_ASSETS); clicking ETH loads ETH's bars, A cycles back to BTC.
test('the asset switcher lists the server\'s assets and switches', async ({ url, freshPage }) => {
  const f = await freshPage();
  try {
    const assets = await (await fetch(new URL('assets', url))).json();
    const want = assets.assets.map((a) => a.asset);
    assert(want.join() === 'BTC,ETH', `GET /assets lists ${want.join()}`);
    await f.page.goto(url);
    const names = () => f.page.$$eval('[role=group][aria-label=Asset] button', (b) => b.map((x) => x.textContent));
    await waitFor(async () => (await names()).join() === want.join(), { what: `the switcher to list ${want.join()}` });
    await waitFor(async () => (await state(f.page))?.load === 'ok', { what: 'BTC bars loaded' });
    const btc = (await state(f.page)).lastClose;
    await f.page.click('[role=group][aria-label=Asset] button:has-text("ETH")');
    await waitFor(async () => { const s = await state(f.page); return s?.asset === 'ETH' && s.load === 'ok' && s.lastClose !== btc; }, { what: 'ETH bars loaded' });
    assert(await f.page.getAttribute('[role=group][aria-label=Asset] button:has-text("ETH")', 'aria-pressed') === 'true', 'ETH is not shown as selected');
    await shot(f.page, 'asset-switcher-eth');
    await f.page.keyboard.press('a');
    await waitFor(async () => (await state(f.page))?.asset === 'BTC', { what: 'A to cycle back to BTC' });
  } finally {
    await f.close();
  }
});

// Every pane's canvases are sized before the data arrives (axes as wide as their labels,
// panes at their heights): re-allocating them in the first frame with data used to cost that
// frame about 40 % of its time (docs/BENCHMARKS.md, cockpit). A canvas sized for the first
// time in that frame is not counted (the default view's data can be in hand before the chart
// has drawn at all); one sized before and again in that frame is.
test('the first frame with data re-allocates no canvas', async ({ url, freshPage }) => {
  const f = await freshPage();
  try {
    await f.page.addInitScript(() => {
      window.__canvasResizes = [];
      const lastSet = new WeakMap();
      for (const prop of ['width', 'height']) {
        const d = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, prop);
        Object.defineProperty(HTMLCanvasElement.prototype, prop, {
          get: d.get, configurable: true,
          set(v) {
            const old = d.get.call(this), now = performance.now();
            if (old !== v) window.__canvasResizes.push({ t: now, prev: lastSet.get(this) ?? null, prop, old, v });
            lastSet.set(this, now);
            d.set.call(this, v);
          },
        });
      }
    });
    for (const q of ['', '?bars=10000']) {
      await f.page.goto(url + q);
      await f.page.waitForFunction(() => performance.getEntriesByName('cpe:paint').length > 0, null, { timeout: 30_000 });
      const r = await f.page.evaluate(() => {
        const at = (n) => performance.getEntriesByName(n)[0].startTime;
        const fed = at('cpe:fed'), paint = at('cpe:paint');
        const all = window.__canvasResizes;
        return {
          before: all.filter((x) => x.t < fed).length,
          during: all.filter((x) => x.t >= fed && x.t <= paint && x.prev !== null && x.prev < fed),
        };
      });
      // the 10k-bar view's data takes longer than the chart's set-up: its canvases are sized first
      if (q) assert(r.before > 0, `${q}: no canvas was sized before the data (is the size hook still in place?)`);
      assert(r.during.length === 0, `${q || 'default view'}: the first frame re-sized ${r.during.length} canvases: ${r.during.slice(0, 4).map((x) => `${x.prop} ${x.old}→${x.v}`).join(', ')}`);
    }
  } finally {
    await f.close();
  }
});

test('candles and cone are drawn', async ({ page }) => {
  await moveOffChart(page);
  await waitForPrediction(page);
  await sleep(500);
  await shot(page, 'candles-and-cone');
  // support/resistance labels are drawn inside the pane in the candle colours: hide them (S)
  await page.keyboard.press('s');
  await sleep(300);
  const p = await pricePane(page, [UP, DOWN, CONE_LINE, CONE_BAND]);
  await page.keyboard.press('s');
  assert(p.counts.up > 200 && p.counts.down > 200, `candle pixels up=${p.counts.up} down=${p.counts.down}`);
  const cone = p.counts.coneLine + p.counts.coneBand;
  assert(cone > 500, `cone pixels ${cone} (line ${p.counts.coneLine}, band ${p.counts.coneBand})`);
  const lastCandleX = Math.max(p.dense.up[1], p.dense.down[1]);
  assert(p.dense.coneBand[1] > lastCandleX + 20, `cone should extend past the last candle (cone x≤${p.dense.coneBand[1]}, candles x≤${lastCandleX})`);
  assert(p.dense.coneBand[0] >= lastCandleX - 20, `cone starts at x=${p.dense.coneBand[0]}, before the last candle at ${lastCandleX}`);
});

test('switching horizon changes the cone', async ({ page }) => {
  await moveOffChart(page);
  const before = await state(page);
  const a = await pricePane(page, [CONE_LINE, CONE_BAND]);
  await page.keyboard.press('h');
  await waitForPrediction(page, (s) => s.horizon !== before.horizon && s.coneSteps !== before.coneSteps);
  await sleep(400);
  const b = await pricePane(page, [CONE_LINE, CONE_BAND]);
  await shot(page, 'horizon-switched');
  const heading = await page.textContent('[data-testid=prediction-panel] h2');
  const after = await state(page);
  assert(heading.includes(`${after.horizon}h`), `panel heading "${heading}" does not name ${after.horizon}h`);
  const ca = a.counts.coneBand + a.counts.coneLine, cb = b.counts.coneBand + b.counts.coneLine;
  const shapeChanged = Math.abs(ca - cb) > 0.03 * Math.max(ca, cb) || Math.abs(a.ymin.coneBand - b.ymin.coneBand) > 3 || Math.abs(a.ymax.coneBand - b.ymax.coneBand) > 3;
  assert(cb > 500, `no cone after switching (${cb} px)`);
  assert(shapeChanged, `cone unchanged: ${ca} → ${cb} px, y ${a.ymin.coneBand}-${a.ymax.coneBand} → ${b.ymin.coneBand}-${b.ymax.coneBand}`);
});

test('hovering a bar shows its explanation', async ({ page }) => {
  // Explanations are stored for bars the server predicted at: the recent ones (a live
  // minute lasts 1 s here). Walk left from the last candle and take bars from the 2nd on
  // until two different bars were explained (a new bar may shift the chart under the
  // cursor between two hovers, so the next position can show the bar just explained).
  // The last candle is found as a person finds it: moving the cursor in from the right edge of
  // the price pane (over the cone's future slots the legend says "· cone") until the legend
  // shows a bar's OHLC (candle pixels are no guide: quiet 1m candles are 1–2 px tall when the
  // cone sets the price scale).
  await moveOffChart(page);
  const p = await pricePane(page, [UP, DOWN]);
  const y = p.top + p.cssH * 0.5;
  const legendAt = async (x) => { await page.mouse.move(x, y); return page.textContent('[data-testid=legend]'); };
  const barOf = (legend) => (legend.includes('· cone') || !/\bO [\d.]+/.test(legend) ? null : legend.match(/(\d{4}-\d\d-\d\d \d\d:\d\d UTC)/)?.[1] ?? null);
  const barAt = async (x) => barOf(await legendAt(x));
  // right of the cone's end the legend shows the last bar too: the candle counts once the cone was crossed
  let x1 = null, sawCone = false;
  for (let x = p.left + p.cssW - 2; x > p.left + 10 && x1 === null; x -= 3) {
    const legend = await legendAt(x);
    if (legend.includes('· cone')) sawCone = true;
    else if (sawCone && barOf(legend)) x1 = x;
  }
  assert(x1 !== null, `no candle found left of the cone moving in from the right edge of the price pane (cone seen: ${sawCone})`);
  while (x1 < p.left + p.cssW - 2 && (await barAt(x1 + 1))) x1 += 1;
  const bars = [];
  let lastTime = null;
  for (let x = x1; x > x1 - 200 && bars.length < 5; x -= 1) {
    const t = await barAt(x);
    if (t && t !== lastTime) { bars.push({ x, t }); lastTime = t; }
  }
  assert(bars.length === 5, `found only ${bars.length} bars left of x=${x1.toFixed(0)}`);
  const seen = [];
  for (const bar of bars.slice(1)) {
    if (new Set(seen).size >= 2) break;
    await page.mouse.move(bar.x, y);
    await waitFor(async () => {
      const text = await page.innerText('[data-testid=explain-panel]');
      const err = await page.locator('[data-testid=explain-panel] .error').count();
      if (err > 0) throw new Fatal(`GET /explain failed: the panel shows "${text.replace(/\s+/g, ' ').slice(0, 160)}"`);
      return text.includes('the model gave');
    }, { what: 'an explanation (GET /explain)', timeout: 10_000 });
    // new bars shift the chart under the cursor (a bar a second here): the hovered bar is the
    // one the legend shows, and the panel follows it — read both together until they agree
    let t = null, hovered = null, nudge = 0;
    try {
      await waitFor(async () => {
        // as a person would: the cursor moves a little, so the bar now under it is asked for
        if (t !== null && t !== hovered) await page.mouse.move(bar.x, y + (++nudge % 2 ? 1 : 0));
        [t, hovered] = await page.evaluate(() => {
          const re = /(\d{4}-\d\d-\d\d \d\d:\d\d UTC)/;
          const b = document.querySelector('[data-testid=explain-belief]')?.textContent ?? '';
          const l = document.querySelector('[data-testid=legend]')?.textContent ?? '';
          return [b.match(/At (\d{4}-\d\d-\d\d \d\d:\d\d UTC)/)?.[1] ?? null, l.match(re)?.[1] ?? null];
        });
        // the hovered bar's own prediction, or (when the drift carried the cursor onto the bar
        // in progress, not predicted yet) the one of the bar before; never a later one
        const lag = t !== null && hovered !== null ? Date.parse(`${hovered.slice(0, 16)}Z`) - Date.parse(`${t.slice(0, 16)}Z`) : -1;
        return lag >= 0 && lag <= 60_000;
      }, { what: 'the explanation of the hovered bar', timeout: 5_000 });
    } catch {
      throw new Error(`explanation time ${t} is not the hovered bar's or the one before (${hovered}; located as ${bar.t})`);
    }
    const reasons = await page.locator('[data-testid=explain-reasons] .reason').count();
    assert(reasons > 0, 'no reason bars');
    seen.push(t);
  }
  // a bar from before the server started (4 h back): the explanation backfilled with it,
  // from the walk-forward model of its time (its version says "-wf-"), at or before the bar
  const spacing = (bars[0].x - bars[4].x) / 4;
  const xOld = bars[0].x - 240 * spacing;
  assert(xOld > p.left + 10, `4 h back is off the chart (x ${xOld.toFixed(0)}, spacing ${spacing.toFixed(2)})`);
  const tOld = await barAt(xOld);
  assert(tOld !== null, 'no bar 4 h back');
  // a new bar a second shifts the chart under the cursor: the bar hovered is the one the legend
  // shows at the moment the panel is read, and the explanation must be of that bar's time or
  // of the prediction before it (never after: that would be look-ahead)
  let belief = '', hovered = null, at = null;
  const explainedAt = (b) => b.match(/At (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/)?.[1] ?? null;
  const ahead = () => Date.parse(`${hovered.slice(0, 16)}Z`) - Date.parse(`${at}Z`);
  try {
    await waitFor(async () => {
      if ((await page.locator('[data-testid=explain-panel] .error').count()) > 0) throw new Fatal(`GET /explain failed for ${tOld}: ${(await page.innerText('[data-testid=explain-panel]')).slice(0, 160)}`);
      [belief, hovered] = await page.evaluate(() => [
        document.querySelector('[data-testid=explain-belief]')?.textContent ?? '',
        document.querySelector('[data-testid=legend]')?.textContent?.match(/(\d{4}-\d\d-\d\d \d\d:\d\d UTC)/)?.[1] ?? null,
      ]);
      at = explainedAt(belief);
      return belief.includes('-wf-') && hovered !== null && at !== null && ahead() >= 0 && ahead() < 5 * 60_000;
    }, { what: `the backfilled explanation of the bar hovered 4 h back (${tOld})`, timeout: 10_000 });
  } catch (e) {
    if (e instanceof Fatal) throw e;
    throw new Error(`4 h back: explanation at ${at} (${belief.includes('-wf-') ? 'walk-forward' : 'not walk-forward'}) for the bar ${hovered} (located as ${tOld})`);
  }
  await shot(page, 'hover-explanation');
  assert(new Set(seen).size >= 2, `every bar hovered gave the same explanation time ${seen[0]}`);
});

test('live updates arrive', async ({ page }) => {
  await moveOffChart(page);
  const s0 = await state(page);
  const legend0 = await page.textContent('[data-testid=legend]');
  await waitFor(async () => (await state(page)).liveTicks > s0.liveTicks, { what: 'a live candle over the WebSocket', timeout: 20_000 });
  await waitFor(async () => (await page.textContent('[data-testid=legend]')) !== legend0, { what: 'the legend to show the new price', timeout: 10_000 });
  await shot(page, 'live-update');
});

test('replay plays', async ({ page }) => {
  await moveOffChart(page);
  await page.click('[data-testid=replay-start]');
  await waitFor(async () => (await state(page)).replay.active, { what: 'replay to start' });
  const t0 = (await state(page)).replay.t;
  await waitFor(async () => { const r = (await state(page)).replay; return r.t > t0 && r.playing; }, { what: 'replay bars over the WebSocket', timeout: 15_000 });
  // the backfilled predictions replay with the bars; 1 h after the first one they are scored
  await waitFor(async () => (await state(page)).replay.total > 0, { what: 'a replayed prediction scored against what happened', timeout: 30_000 });
  const r1 = (await state(page)).replay;
  assert(r1.t > t0 + 60 * 60_000, `replay scored before an hour passed (${r1.t} from ${t0})`);
  assert(r1.hits >= 0 && r1.hits <= r1.total, `accuracy ${r1.hits}/${r1.total}`);
  await page.keyboard.press(' ');
  await sleep(600);
  const paused = (await state(page)).replay;
  await sleep(800);
  const still = (await state(page)).replay;
  assert(!still.playing && still.t === paused.t, `pause did not stop the replay (${paused.t} → ${still.t})`);
  // the counts are read while paused: while it plays they change every bar (20 bars/s), and the
  // text drawn a frame after the state was read shows newer ones
  const shown = `accuracy ${((still.hits / still.total) * 100).toFixed(1)}% (${still.hits}/${still.total})`;
  await waitFor(async () => (await page.textContent('[data-testid=replay-status]')).includes(shown),
    { what: `the replay status to show "${shown}"`, timeout: 5000 });
  await page.keyboard.press('ArrowRight');
  await waitFor(async () => (await state(page)).replay.t > still.t, { what: 'a replay step' });
  await shot(page, 'replay');
  const live = await state(page);
  await page.keyboard.press('Escape');
  await waitFor(async () => { const s = await state(page); return !s.replay.active && s.load === 'ok' && s.lastT > live.replay.t; }, { what: 'back to live (the live bars reloaded)' });
});
