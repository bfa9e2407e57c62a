// Shared by the end-to-end runner and the benchmarks: start the real `cpe serve` on a
// simulated store, launch Debian's Chromium through playwright-core, read canvas pixels.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(FRONTEND, '..');
export const CPE_BIN = resolve(REPO, process.env.CPE_BIN || 'build/cpe');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = join(REPO, 'artifacts', 'e2e');

export function log(...a) { process.stderr.write(a.join(' ') + '\n'); }

function run(args, opts = {}) {
  const r = spawnSync(CPE_BIN, args, { encoding: 'utf8', timeout: opts.timeout ?? 600_000, env: { ...process.env, ...opts.env } });
  return { ok: r.status === 0, out: (r.stdout || '') + (r.stderr || ''), status: r.status };
}

export function hasCommand(name) {
  const r = run(['help']);
  return new RegExp(`^\\s*${name}\\b`, 'm').test(r.out);
}

/**
 * A temp store filled by `cpe simulate` (and `cpe train` for both symbols, models in
 * DIR/models, when that command exists). Returns {dir, db, models, notes[], cleanup};
 * throws with the command's output when simulate fails.
 */
export function makeStore({ days = 3, seed = 1, backfillDays = 0 } = {}) {
  if (!existsSync(CPE_BIN)) throw new Error(`${CPE_BIN}: no cpe binary (build it, or set CPE_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'cpe-e2e-'));
  const db = join(dir, 'cpe.db');
  const notes = [];
  const sim = run(['simulate', '--symbols', 'BTCUSDT,ETHUSDT', '--days', String(days), '--seed', String(seed), '--db', db]);
  if (!sim.ok) throw new Error(`cpe simulate failed (${sim.status}): ${sim.out.slice(-800)}`);
  const models = join(dir, 'models');
  if (hasCommand('train')) {
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const t0 = Date.now();
      const tr = run(['train', '--symbol', symbol, '--db', db, '--models', models], { timeout: 900_000, env: { CPE_MODELS: models } });
      notes.push(`cpe train --symbol ${symbol}: ${tr.ok ? 'ok' : `failed (${tr.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (!tr.ok) log(`cpe train failed: ${tr.out.slice(-800)}`);
    }
    // the last days as the models would have seen them (walk-forward, with explanations):
    // replay has predictions to score, older bars have explanations to hover
    for (const asset of backfillDays > 0 ? ['BTC', 'ETH'] : []) {
      const t0 = Date.now();
      const bf = run(['predict', '--asset', asset, '--backfill', '--days', String(backfillDays), '--explain', '--db', db], { timeout: 300_000 });
      notes.push(`cpe predict --asset ${asset} --backfill --days ${backfillDays} --explain: ${bf.ok ? 'ok' : `failed (${bf.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (!bf.ok) log(`backfill failed: ${bf.out.slice(-800)}`);
    }
  } else {
    notes.push('cpe train: no such command in this binary (no model: no cone, no explanations)');
  }
  return { dir, db, models, notes, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Start `cpe serve --port 0` (or PORT) on loopback; resolves once it prints its address. */
export function startServer(db, env = {}, models = null, port = 0) {
  return new Promise((resolveP, reject) => {
    const child = spawn(CPE_BIN, ['serve', '--port', String(port), '--host', '127.0.0.1', '--db', db, '--static', join(FRONTEND, 'dist')], {
      env: { ...process.env, CPE_RATE_LIMIT_PER_MIN: '0', CPE_RETRAIN: '0', ...(models ? { CPE_MODELS: models } : {}), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cpe serve did not start in 60 s: ${out}${err}`.slice(-800))); }, 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); resolveP({ url: m[1], child, logs: () => out + err, stop: () => stopChild(child) }); }
    });
    child.stderr.on('data', (d) => { err += d; if (err.length > 200_000) err = err.slice(-100_000); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`cpe serve exited (${code}): ${(out + err).slice(-800)}`)); });
  });
}

function stopChild(child) {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    const k = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(k); r(); });
    child.kill('SIGTERM');
  });
}

export async function launchBrowser(viewport = { width: 1400, height: 900 }, extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM}: Chromium not installed (apt-get install -y chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'cpe-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      // bytecode is on the JS heap and V8 drops that of functions idle for a while: kept, so a
      // heap measured before and after mount/unmount cycles compares cockpit objects only
      '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc --no-flush-bytecode', ...extraArgs],
  });
  return { ctx, close: async () => { await ctx.close(); rmSync(profile, { recursive: true, force: true }); } };
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
/** Serve the page's own files (index.html, assets/) from another build's dist; the API stays live. */
export async function useBuild(page, origin, dist) {
  await page.route((u) => u.origin === origin && (u.pathname === '/' || u.pathname === '/index.html' || u.pathname.startsWith('/assets/')), (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dist, path === '/' ? 'index.html' : path);
    if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not in the baseline build' });
    return route.fulfill({ status: 200, contentType: MIME[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
}
export function artifactsDir() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/**
 * Colour statistics of the chart's canvases, evaluated in the page. For each pane the
 * opaque (first) canvas is read; the transparent overlay canvas of each pane is skipped.
 * Returns per-canvas {w,h,top,left,counts{name:n}, xmin/xmax/ymin/ymax{name}, dense{name:[x0,x1]}} for the
 * given colour classes: [name, [r,g,b], tolerance].
 */
export async function canvasStats(page, selector, classes) {
  return page.evaluate(({ selector, classes }) => {
    const out = [];
    for (const c of document.querySelectorAll(`${selector} canvas`)) {
      if (c.width === 0 || c.height === 0) continue;
      const ctx = c.getContext('2d', { willReadFrequently: true });
      if (!ctx) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let opaque = 0;
      const counts = {}, xmax = {}, xmin = {}, ymin = {}, ymax = {}, cols = {};
      for (const [n] of classes) { counts[n] = 0; xmax[n] = -1; xmin[n] = 1e9; ymin[n] = 1e9; ymax[n] = -1; cols[n] = new Uint32Array(c.width); }
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 250) continue;
        opaque++;
        for (const [n, [r, g, b], tol] of classes) {
          if (Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - g) <= tol && Math.abs(d[i + 2] - b) <= tol) {
            counts[n]++;
            const p = i / 4, x = p % c.width, y = (p - x) / c.width;
            cols[n][x]++;
            if (x > xmax[n]) xmax[n] = x; if (x < xmin[n]) xmin[n] = x;
            if (y > ymax[n]) ymax[n] = y; if (y < ymin[n]) ymin[n] = y;
          }
        }
      }
      // the transparent second canvas of each pane has (almost) no opaque pixel
      if (opaque < (c.width * c.height) / 2) continue;
      // extent of columns holding at least 6 pixels of a class (ignores price lines across the pane)
      const dense = {};
      for (const [n] of classes) {
        let lo = -1, hi = -1;
        cols[n].forEach((k, x) => { if (k >= 6) { if (lo < 0) lo = x; hi = x; } });
        dense[n] = [lo, hi];
      }
      const r = c.getBoundingClientRect();
      out.push({ w: c.width, h: c.height, top: r.top, left: r.left, cssW: r.width, cssH: r.height, counts, xmax, xmin, ymin, ymax, dense });
    }
    return out;
  }, { selector, classes });
}
