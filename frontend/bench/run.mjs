// Cockpit benchmarks in headless Chromium against the real `cpe serve`; one JSON line per
// figure on stdout: {"bench","metric","value","unit","target","ok",...}. Progress on stderr.
//   node frontend/bench/run.mjs       (after `npm run build`; env CPE_BIN, BENCH_REPS=5)
// Figures (medians of BENCH_REPS runs):
//   first_paint_10k_ms     10,000 1m candles + every pane + the cone: from the market data in
//                          hand (mark cpe:data, after JSON parse) to the frame that shows them
//                          (mark cpe:paint, two animation frames after the chart's setData)
//   nav_to_paint_10k_ms    the same page from navigation start (includes fetching 10k bars)
//   prediction_update_ms   a new prediction applied: React render + cone setData (script)
//                          plus the chart's own draw in the next frame
//   prediction_to_frame_ms the same, to the end of the frame that shows it (includes vsync wait)
//   initial_load_ms        default page (5,000 bars), a new tab of a running browser with the
//                          HTTP cache disabled: navigation start to the frame with the candles
//   initial_load_cold_ms   the same in a browser process started for it with a fresh profile
//                          (adds the renderer start and a cold V8 code cache)
//   bundle_gzip_kb         what the cockpit page loads before its first frame: dist/index.html and
//                          the js / css it names, gzipped (level 9); the side panels' chunk (loaded
//                          after the first frame) and the /docs page are reported beside it
// BENCH_BASELINE=<another build's dist/> (e.g. the previous commit's `vite build`) measures the
// 10k-bar figures of that build too, in the same run, same server and browser: its page gets
// index.html and assets/ from that directory (the API from the server), and the two builds
// alternate load by load and in blocks of 10 prediction updates, so both see the same load.
// Its lines carry "build":"baseline"; the current dist's lines "build":"current".
import { readdirSync, readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FRONTEND, launchBrowser, log, makeStore, startServer, useBuild } from '../e2e/lib.mjs';

const REPS = Number(process.env.BENCH_REPS || 5);
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : null;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
const emit = (metric, values, unit, target, extra = {}) => {
  const value = Math.round(median(values) * 100) / 100;
  console.log(JSON.stringify({ bench: 'frontend', metric, value, unit, target, ok: Number.isFinite(value) && value <= target, reps: values.length, min: Math.min(...values), max: Math.max(...values), ...extra }));
};

/** Raw and gzip -9 bytes of files under dist/. */
function sizes(files) {
  let raw = 0, gz = 0;
  for (const f of files) { const b = readFileSync(join(FRONTEND, 'dist', f)); raw += b.length; gz += gzipSync(b, { level: 9 }).length; }
  return { raw, gz };
}

/** The cockpit page's first load (index.html and the js / css it names), the rest of dist/ beside it. */
function bundle() {
  const dist = join(FRONTEND, 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const first = ['index.html', ...[...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])];
  const all = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f)).map((f) => 'assets/' + f);
  const later = all.filter((f) => !first.includes(f) && !/\/docs-/.test(f));
  return { first: sizes(first), later: sizes(later), files: first.length };
}

async function paintTimes(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('cpe:paint').length > 0, null, { timeout: 60_000 });
  return page.evaluate(() => {
    const d = performance.getEntriesByName('cpe:data')[0].startTime, p = performance.getEntriesByName('cpe:paint')[0].startTime;
    const s = window.__cpe.state();
    return { dataToPaint: p - d, navToPaint: p, bars: s.bars, cone: s.coneSteps, predictionState: s.predictionState };
  });
}

async function predictionUpdate(page, n = 40) {
  return page.evaluate(async (n) => {
    const store = window.__cpe.store();
    const base = store.getState().prediction;
    if (!base) return null;
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const macrotask = () => new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => r(); ch.port2.postMessage(0); });
    const work = [], latency = [], script = [], draw = [];
    for (let i = 0; i < n; i++) {
      await frame(); // start right after a frame
      let tFrame = 0;
      requestAnimationFrame(() => { tFrame = performance.now(); }); // runs before the chart's draw
      const t0 = performance.now();
      const k = 1 + (i % 2 ? 0.002 : -0.002);
      store.setState({ prediction: { ...base, p_up: Math.min(1, base.p_up * k), cone: base.cone.map((c) => ({ ...c, upper: c.upper * k, upper2: c.upper2 * k, lower: c.lower / k, lower2: c.lower2 / k })) } });
      await macrotask(); // React's passive effects (the cone's setData) have run
      const tScript = performance.now();
      const tEnd = await new Promise((r) => requestAnimationFrame(() => r(performance.now()))); // after the chart's draw
      work.push(tScript - t0 + (tEnd - tFrame));
      script.push(tScript - t0);
      draw.push(tEnd - tFrame);
      latency.push(tEnd - t0);
    }
    store.setState({ prediction: base });
    return { work, latency, script, draw };
  }, n);
}

async function main() {
  const b = bundle();
  emit('bundle_gzip_kb', [b.first.gz / 1024], 'KiB', 150, { raw_kb: Math.round(b.first.raw / 1024), files: b.files, after_first_frame_gzip_kb: Math.round(b.later.gz / 102.4) / 10 });
  let store, server, browser;
  try {
    log('bench: cpe simulate --days 8 (11,520 one-minute bars per symbol)');
    store = makeStore({ days: 8, seed: 1 });
    store.notes.forEach((n) => log('bench: ' + n));
    server = await startServer(store.db, { CPE_SOURCE: 'simulate' }, store.models);
    log(`bench: cpe serve at ${server.url}`);
    browser = await launchBrowser();
    const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    // the builds measured: the current dist, and BENCH_BASELINE's when given (alternating)
    const builds = [{ name: 'current', page }];
    if (BASELINE) {
      if (!existsSync(join(BASELINE, 'index.html'))) throw new Error(`BENCH_BASELINE=${BASELINE}: no index.html`);
      const p = await browser.ctx.newPage();
      await useBuild(p, new URL(server.url).origin, BASELINE);
      builds.push({ name: 'baseline', page: p });
    }
    const tag = (b) => (BASELINE ? { build: b.name } : {});
    for (const b of builds) Object.assign(b, { first: [], nav: [], info: null, up: { work: [], latency: [], script: [], draw: [] } });
    for (let i = 0; i < REPS + 1; i++) {
      for (const b of builds) {
        await b.page.bringToFront(); // a background tab gets no animation frames
        b.info = await paintTimes(b.page, `${server.url}/?bars=10000`);
        if (i > 0) { b.first.push(b.info.dataToPaint); b.nav.push(b.info.navToPaint); } // first run warms the server's caches
      }
    }
    for (const b of builds) {
      emit('first_paint_10k_ms', b.first, 'ms', 150, { bars: b.info.bars, cone: b.info.cone > 0, ...tag(b) });
      emit('nav_to_paint_10k_ms', b.nav, 'ms', 1000, { bars: b.info.bars, ...tag(b) });
    }
    for (const b of builds) await b.page.bringToFront().then(() => b.page.waitForFunction(() => window.__cpe.state()?.predictionState === 'ok', null, { timeout: 30_000 })).catch(() => {});
    let noPrediction = false;
    for (let block = 0; block < 4 && !noPrediction; block++) {
      for (const b of builds) {
        await b.page.bringToFront();
        const up = await predictionUpdate(b.page, 10);
        if (!up) { noPrediction = true; break; }
        for (const k of Object.keys(b.up)) b.up[k].push(...up[k]);
      }
    }
    for (const b of builds) {
      if (!noPrediction) {
        emit('prediction_update_ms', b.up.work, 'ms', 16, { bars: b.info.bars, script_ms: median(b.up.script), frame_ms: median(b.up.draw), ...tag(b) });
        emit('prediction_to_frame_ms', b.up.latency, 'ms', 33, { bars: b.info.bars, ...tag(b) });
      } else {
        console.log(JSON.stringify({ bench: 'frontend', metric: 'prediction_update_ms', value: null, unit: 'ms', target: 16, ok: false, error: 'the server returned no prediction (no model?)', ...tag(b) }));
      }
    }
    if (BASELINE) await builds[1].page.close();
    const warm = [];
    for (let i = 0; i < REPS; i++) {
      const p = await browser.ctx.newPage();
      const cdp = await browser.ctx.newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      warm.push((await paintTimes(p, `${server.url}/`)).navToPaint);
      await p.close();
    }
    emit('initial_load_ms', warm, 'ms', 1000);
    await browser.close();
    browser = null;
    const loads = [];
    for (let i = 0; i < REPS; i++) {
      const cold = await launchBrowser(); // a fresh profile: nothing cached
      const p = cold.ctx.pages()[0] ?? (await cold.ctx.newPage());
      loads.push((await paintTimes(p, `${server.url}/`)).navToPaint);
      await cold.close();
    }
    emit('initial_load_cold_ms', loads, 'ms', 1000);
  } catch (e) {
    log(`bench: failed: ${e.message}`);
    console.log(JSON.stringify({ bench: 'frontend', metric: 'setup', value: null, unit: '', target: 0, ok: false, error: e.message.slice(0, 300) }));
    process.exitCode = 1;
  } finally {
    await browser?.close();
    await server?.stop();
    store?.cleanup();
  }
}
main();
