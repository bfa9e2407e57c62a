// Where a cold load's time goes: N loads of the default page, each in a Chromium started for it
// with a fresh profile, against one `cpe serve`; prints per load the resource timings of the
// page's script and data and the cockpit's marks, then medians. Optional CPU profile of the
// last load (COLD_CPU_PROFILE=file.json, open in Chrome DevTools). COLD_BASELINE=<another build's
// dist/> alternates the two builds load by load (both served through the same interception, so
// they see the same path and load) and prints both medians.
//   node frontend/bench/cold-profile.mjs   (after `npm run build`; env CPE_BIN, COLD_REPS=6,
//                                           COLD_DB=an existing store to reuse, COLD_MODELS)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRONTEND, launchBrowser, log, makeStore, startServer, useBuild } from '../e2e/lib.mjs';

const REPS = Number(process.env.COLD_REPS || 6);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };

async function oneLoad(url, dist, profileFile) {
  const b = await launchBrowser();
  try {
    const p = b.ctx.pages()[0] ?? (await b.ctx.newPage());
    if (dist) await useBuild(p, new URL(url).origin, dist);
    let cdp = null;
    if (profileFile) {
      cdp = await b.ctx.newCDPSession(p);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    await p.goto(url);
    await p.waitForFunction(() => performance.getEntriesByName('cpe:paint').length > 0, null, { timeout: 60_000 });
    if (cdp) writeFileSync(profileFile, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    return await p.evaluate(() => {
      const out = {};
      for (const e of performance.getEntriesByType('resource')) {
        const name = new URL(e.name).pathname.replace(/-[A-Za-z0-9_]{8}\./, '.');
        out['res ' + name] = [Math.round(e.startTime), Math.round(e.responseEnd)];
      }
      const nav = performance.getEntriesByType('navigation')[0];
      out['nav responseEnd'] = Math.round(nav.responseEnd);
      out['nav domInteractive'] = Math.round(nav.domInteractive);
      out['nav domContentLoaded'] = Math.round(nav.domContentLoadedEventEnd);
      for (const e of performance.getEntriesByType('mark')) out['mark ' + e.name] = Math.round(e.startTime);
      return out;
    });
  } finally { await b.close(); }
}

async function main() {
  let store = null;
  const db = process.env.COLD_DB || (store = makeStore({ days: 8, seed: 1 })).db;
  const models = process.env.COLD_MODELS || store?.models || null;
  const server = await startServer(db, { CPE_SOURCE: 'simulate' }, models);
  try {
    await oneLoad(`${server.url}/`); // warms the server's caches
    const builds = process.env.COLD_BASELINE ? [['current', join(FRONTEND, 'dist')], ['baseline', process.env.COLD_BASELINE]] : [['current', null]];
    for (const b of builds) b.push([]); // [name, dist, rows]
    for (let i = 0; i < REPS; i++) {
      for (const [name, dist, rows] of builds) {
        const r = await oneLoad(`${server.url}/`, dist, i === REPS - 1 && name === 'current' ? process.env.COLD_CPU_PROFILE : undefined);
        rows.push(r);
        log(name + ' ' + JSON.stringify(r));
      }
    }
    for (const [name, , rows] of builds) {
      console.log(`== ${name} (${rows.length} loads, medians)`);
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      for (const k of keys) {
        const vals = rows.map((r) => r[k]).filter((v) => v !== undefined);
        const m = Array.isArray(vals[0]) ? `${median(vals.map((v) => v[0]))} .. ${median(vals.map((v) => v[1]))}` : median(vals);
        console.log(`${k.padEnd(40)} ${m}`);
      }
    }
  } finally {
    await server.stop();
    store?.cleanup();
  }
}
main();
