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
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FRONTEND, launchBrowser, log, makeStore, startServer } from '../e2e/lib.mjs';

const REPS = Number(process.env.BENCH_REPS || 5);
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

async function predictionUpdate(page) {
  return page.evaluate(async () => {
    const store = window.__cpe.store();
    const base = store.getState().prediction;
    if (!base) return null;
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const macrotask = () => new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => r(); ch.port2.postMessage(0); });
    const work = [], latency = [], script = [], draw = [];
    for (let i = 0; i < 40; i++) {
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
  });
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
    const first = [], nav = [];
    let info;
    for (let i = 0; i < REPS + 1; i++) {
      info = await paintTimes(page, `${server.url}/?bars=10000`);
      if (i > 0) { first.push(info.dataToPaint); nav.push(info.navToPaint); } // first run warms the server's caches
    }
    const withCone = info.cone > 0;
    emit('first_paint_10k_ms', first, 'ms', 150, { bars: info.bars, cone: withCone });
    emit('nav_to_paint_10k_ms', nav, 'ms', 1000, { bars: info.bars });
    await page.waitForFunction(() => window.__cpe.state()?.predictionState === 'ok', null, { timeout: 30_000 }).catch(() => {});
    const up = await predictionUpdate(page);
    if (up) {
      emit('prediction_update_ms', up.work, 'ms', 16, { bars: info.bars, script_ms: median(up.script), frame_ms: median(up.draw) });
      emit('prediction_to_frame_ms', up.latency, 'ms', 33, { bars: info.bars });
    } else {
      console.log(JSON.stringify({ bench: 'frontend', metric: 'prediction_update_ms', value: null, unit: 'ms', target: 16, ok: false, error: 'the server returned no prediction (no model?)' }));
    }
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
