// load_clients.mjs — the load generator of bench_load.sh (spec 18.3): N concurrent clients
// against a running `cpe serve` for S seconds on a realistic mix, then one JSON line per
// endpoint on stdout:
//   {"bench":"load","phase":P,"clients":N,"endpoint":E,"n":..,"rps":..,"p50_ms":..,
//    "p99_ms":..,"errors":..,"rate_limited":..}
// and one for the WebSocket clients ("endpoint":"ws": messages received, unexpected closes).
// Clients: every fifth holds a WebSocket subscribed to candles and predictions of an asset;
// the others loop over HTTP with an exponential think time (mean LOAD_THINK_MS, 200):
// GET /predict 35 %, /market-data of 1,000..10,000 1m bars 25 %, /explain 15 %,
// /predictions 15 %, /health 10 %. An error is a network failure or any status other than
// 200 and 429 (429s are counted apart: deliberate rate limiting).
// Usage: node load_clients.mjs URL CLIENTS SECONDS PHASE
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../frontend/package.json'));
let undici;
try { undici = require('undici'); } catch { console.error('load_clients: needs frontend/node_modules (cd frontend && npm ci)'); process.exit(2); }
const [url, nClients, seconds, phase] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5] || 'load'];
const think = Number(process.env.LOAD_THINK_MS || 200);
const assets = (process.env.LOAD_ASSETS || 'BTC,ETH').split(',');
const horizons = [1, 4, 8, 24];
const agent = new undici.Agent({ connections: nClients, pipelining: 1, keepAliveTimeout: 30_000 });
const pick = (a) => a[Math.floor(Math.random() * a.length)];
const MIX = [
  [35, 'predict', () => `/predict?asset=${pick(assets)}&horizon_hours=${pick(horizons)}`],
  [25, 'market_data', () => `/market-data?asset=${pick(assets)}&interval=1m&limit=${1000 + Math.floor(Math.random() * 9001)}`],
  [15, 'explain', () => `/explain?asset=${pick(assets)}&horizon_hours=${pick(horizons)}`],
  [15, 'predictions', () => `/predictions?asset=${pick(assets)}&horizon_hours=${pick(horizons)}`],
  [10, 'health', () => '/health'],
];
const stats = Object.fromEntries(MIX.map(([, n]) => [n, { lat: [], errors: 0, limited: 0, codes: {} }]));
const ws = { clients: 0, opened: 0, messages: 0, closes: 0, errors: 0 };
const end = Date.now() + seconds * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function choose() {
  let r = Math.random() * 100;
  for (const m of MIX) { if ((r -= m[0]) < 0) return m; }
  return MIX[0];
}

async function httpClient() {
  await sleep(Math.random() * 1000); // clients arrive over the first second
  while (Date.now() < end) {
    const [, name, path] = choose();
    const s = stats[name];
    const t0 = performance.now();
    try {
      const res = await undici.request(url + path(), { dispatcher: agent });
      await res.body.arrayBuffer();
      const ms = performance.now() - t0;
      s.codes[res.statusCode] = (s.codes[res.statusCode] || 0) + 1;
      if (res.statusCode === 429) s.limited++;
      else if (res.statusCode !== 200) s.errors++;
      else s.lat.push(ms);
    } catch {
      s.errors++;
    }
    await sleep(-Math.log(1 - Math.random()) * think);
  }
}

function wsClient() {
  return new Promise((resolve) => {
    ws.clients++;
    const sock = new undici.WebSocket(url.replace(/^http/, 'ws') + '/ws');
    let done = false;
    const finish = () => { if (!done) { done = true; resolve(); } };
    sock.onopen = () => {
      ws.opened++;
      const asset = pick(assets);
      sock.send(JSON.stringify({ op: 'subscribe', channel: 'candles', asset, interval: '1m' }));
      sock.send(JSON.stringify({ op: 'subscribe', channel: 'predictions', asset }));
    };
    sock.onmessage = () => { ws.messages++; };
    sock.onerror = () => { if (Date.now() < end) ws.errors++; };
    sock.onclose = () => { if (Date.now() < end - 500) ws.closes++; finish(); };
    setTimeout(() => { sock.close(); setTimeout(finish, 1000); }, Math.max(0, end - Date.now()));
  });
}

const q = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
const r1 = (x) => (x === null ? null : Math.round(x * 10) / 10);
const t0 = Date.now();
await Promise.all(Array.from({ length: nClients }, (_, i) => (i % 5 === 4 ? wsClient() : httpClient())));
const wall = (Date.now() - t0) / 1000;
for (const [name, s] of Object.entries(stats)) {
  s.lat.sort((a, b) => a - b);
  const n = s.lat.length + s.errors + s.limited;
  console.log(JSON.stringify({ bench: 'load', phase, clients: nClients, endpoint: name, n, rps: r1(n / wall), p50_ms: r1(q(s.lat, 0.5)), p99_ms: r1(q(s.lat, 0.99)), errors: s.errors, rate_limited: s.limited, codes: s.codes }));
}
console.log(JSON.stringify({ bench: 'load', phase, clients: nClients, endpoint: 'ws', n: ws.clients, opened: ws.opened, messages: ws.messages, errors: ws.errors + ws.closes + (ws.clients - ws.opened) }));
await agent.close();
