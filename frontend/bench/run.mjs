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
//   bundle_gzip_kb         dist/ js + css + html gzipped (level 9)
// BENCH_BASELINE=<another build's dist/> (e.g. the previous commit's `vite build`) measures the
// 10k-bar figures of that build too, in the same run, same server and browser: its page gets
// index.html and assets/ from that directory (the API from the server), and the two builds
// alternate load by load and in blocks of 10 prediction updates, so both see the same load.
// Its lines carry "build":"baseline"; the current dist's lines "build":"current".
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FRONTEND, launchBrowser, log, makeStore, startServer } from '../e2e/lib.mjs';

const REPS = Number(process.env.BENCH_REPS || 5);
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : null;
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serve the page's own files (index.html, assets/) from another build's dist; the API stays live. */
async function useBuild(page, origin, dist) {
  await page.route((u) => u.origin === origin && (u.pathname === '/' || u.pathname === '/index.html' || u.pathname.startsWith('/assets/')), (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dist, path === '/' ? 'index.html' : path);
    if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not in the baseline build' });
    return route.fulfill({ status: 200, contentType: MIME[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
const emit = (metric, values, unit, target, extra = {}) => {
  const value = Math.round(median(values) * 100) / 100;
  console.log(JSON.stringify({ bench: 'frontend', metric, value, unit, target, ok: Number.isFinite(value) && value <= target, reps: values.length, min: Math.min(...values), max: Math.max(...values), ...extra }));
};

function bundle() {
  const dist = join(FRONTEND, 'dist');
  let raw = 0, gz = 0;
  const walk = (d) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (/\.(js|css|html)$/.test(f)) { const b = readFileSync(p); raw += b.length; gz += gzipSync(b, { level: 9 }).length; } } };
  walk(dist);
  return { raw, gz };
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
  emit('bundle_gzip_kb', [b.gz / 1024], 'KiB', 150, { raw_kb: Math.round(b.raw / 1024) });
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
