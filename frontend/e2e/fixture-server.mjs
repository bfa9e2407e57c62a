// A small stand-in for `cpe serve`, ONLY for developing the cockpit while the C server is
// being written (node e2e/fixture-server.mjs [port]). The committed end-to-end tests never
// use it: they run against the real `cpe serve`. Data here is a seeded random walk.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = process.env.FIXTURE_DIST || join(fileURLToPath(new URL('.', import.meta.url)), '..', 'dist');
const port = Number(process.argv[2] ?? 8765);
const IV = { '1m': 6e4, '5m': 3e5, '15m': 9e5, '1h': 36e5, '4h': 144e5, '1d': 864e5 };
let seed = 1;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) % 4294967296) / 4294967296);
const nBars = Number(process.env.FIXTURE_BARS || 4320);
const end = Math.floor(Date.now() / 6e4) * 6e4 - 6e4;
const data = {};
for (const [asset, p0] of [['BTC', 60000], ['ETH', 3000]]) {
  const b = []; let p = p0, cvd = 0, oi = 1e5;
  for (let i = 0; i < nBars; i++) {
    const t = end - (nBars - 1 - i) * 6e4; const o = p; p *= 1 + (rnd() - 0.5) * 0.003;
    const v = 10 + rnd() * 50; cvd += (rnd() - 0.5) * v; oi += (rnd() - 0.5) * 200;
    b.push({ t, open: o, high: Math.max(o, p) * (1 + rnd() * 0.001), low: Math.min(o, p) * (1 - rnd() * 0.001), close: p, volume: v, cvd, oi,
      funding: i % 480 === 0 ? (rnd() - 0.45) * 1e-3 : null, liq_long: rnd() < 0.2 ? rnd() * 5 : 0, liq_short: rnd() < 0.2 ? rnd() * 5 : 0, basis: 0.0004 + (rnd() - 0.5) * 2e-4 });
  }
  data[asset] = b;
}
function agg(bars, iv) {
  const out = [];
  for (const b of bars) {
    const t = Math.floor(b.t / iv) * iv; const l = out[out.length - 1];
    if (!l || l.t !== t) out.push({ ...b, t });
    else Object.assign(l, { high: Math.max(l.high, b.high), low: Math.min(l.low, b.low), close: b.close, volume: l.volume + b.volume, cvd: b.cvd, oi: b.oi, basis: b.basis, funding: b.funding ?? l.funding, liq_long: l.liq_long + b.liq_long, liq_short: l.liq_short + b.liq_short });
  }
  return out;
}
function marketData(q) {
  const asset = q.get('asset') || 'BTC', interval = q.get('interval') || '1m';
  if (!data[asset]) return [404, { error: { code: 'UNKNOWN_ASSET', message: `unknown asset '${asset}'` } }];
  let bars = agg(data[asset], IV[interval]);
  const from = Number(q.get('from')) || -Infinity, to = Number(q.get('to')) || Infinity, limit = Number(q.get('limit')) || 5000;
  bars = bars.filter((b) => b.t >= from && b.t <= to).slice(-limit);
  const last = bars[bars.length - 1]?.close ?? 1;
  const col = (k) => bars.map((b) => b[k]);
  return [200, { asset, symbol: asset + 'USDT', interval, simulated: true, t: col('t'), open: col('open'), high: col('high'), low: col('low'), close: col('close'), volume: col('volume'),
    cvd: col('cvd'), oi: col('oi'), funding: col('funding'), liq_long: col('liq_long'), liq_short: col('liq_short'), basis: col('basis'),
    liq_clusters: [{ price_lo: last * 0.97, price_hi: last * 0.975, intensity: 1, side: 'long' }, { price_lo: last * 1.02, price_hi: last * 1.024, intensity: 0.5, side: 'short' }],
    levels: [{ price: last * 0.985, kind: 'support', strength: 0.8 }, { price: last * 1.012, kind: 'resistance', strength: 0.4 }],
    volume_profile: Array.from({ length: 24 }, (_, i) => ({ price_lo: last * (0.97 + i * 0.0025), price_hi: last * (0.9725 + i * 0.0025), volume: 100 + 400 * Math.exp(-((i - 12) ** 2) / 20), buy_volume: 60 + 200 * Math.exp(-((i - 12) ** 2) / 20) })),
    flows: { whale: null, stablecoin: null, exchange_netflow: null } }];
}
function predictAt(asset, h, at) {
  const bars = data[asset]; let i = bars.length - 1;
  if (at) while (i > 0 && bars[i].t > at) i--;
  const b = bars[i]; const vol = 0.004 * Math.sqrt(h) * (h === 24 ? 1.5 : 1); const mv = (i % 7 - 3) * 0.0004 * h;
  const cone = Array.from({ length: h + 1 }, (_, k) => { const s = vol * Math.sqrt(k / h); const m = b.close * (1 + mv * k / h);
    return { t_ms: b.t + 6e4 + k * 36e5, mid: m, upper: m * (1 + s), lower: m * (1 - s), upper2: m * (1 + 2 * s), lower2: m * (1 - 2 * s) }; });
  const pu = 0.5 + mv * 10;
  return { asset, symbol: asset + 'USDT', horizon_hours: h, t_ms: b.t, close: b.close, p_up: pu, p_down: 1 - pu, expected_move: mv, volatility: vol, cone,
    confidence: 'medium', regime: 'normal', model_version: `${asset}USDT-fixture`, stale: false, simulated: true, vol_fallback: false };
}
const jobs = new Map();
async function handle(req, res) {
  const u = new URL(req.url, 'http://x'); const q = u.searchParams; const send = (s, o) => { res.writeHead(s, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
  if (u.pathname === '/market-data') return send(...marketData(q));
  if (u.pathname === '/predict') { const h = Number(q.get('horizon_hours')); if (![1, 4, 8, 24].includes(h)) return send(422, { error: { code: 'INVALID_HORIZON', message: 'bad' } }); return send(200, predictAt(q.get('asset') || 'BTC', h, Number(q.get('at')) || 0)); }
  if (u.pathname === '/explain') { const p = predictAt(q.get('asset') || 'BTC', Number(q.get('horizon_hours')), Number(q.get('at')) || 0);
    const k = (p.t_ms / 6e4) % 5;
    return send(200, { asset: p.asset, horizon_hours: p.horizon_hours, t_ms: p.t_ms, p_up: p.p_up, model_version: p.model_version, base_value: 0.01,
      reasons: [{ name: 'funding skew', contribution: 0.05 - k * 0.01, features: ['funding_rate'] }, { name: 'CVD shift', contribution: -0.03 + k * 0.02, features: ['cvd_1h'] }, { name: 'momentum', contribution: 0.02, features: ['returns_1h'] }, { name: 'OI expansion/contraction', contribution: -0.01, features: ['oi_change_1h'] }],
      contributions: [], changes: [{ feature: 'cvd_1h', from: -0.02, to: 0.05, shap_delta: 0.04 }] }); }
  if (u.pathname === '/backtest' && req.method === 'POST') { const id = 'job' + (jobs.size + 1); jobs.set(id, Date.now()); return send(202, { job_id: id }); }
  if (u.pathname.startsWith('/backtest/')) { const id = u.pathname.slice(10); if (!jobs.has(id)) return send(404, { error: { code: 'NOT_FOUND', message: 'no job' } });
    const bars = agg(data.BTC, 36e5); let eq = 10000;
    const result = { equity: { t: bars.map((b) => b.t), v: bars.map((b, i) => (eq *= 1 + (i ? b.close / bars[i - 1].close - 1 : 0) * 0.5)) }, trades: [{ entry_t_ms: bars[5].t, exit_t_ms: bars[20].t, side: 'long', entry_price: bars[5].close, exit_price: bars[20].close, pnl: 0.01 }], metrics: { total_return: eq / 10000 - 1, sharpe_ratio: 1.2, max_drawdown: -0.05, total_trades: 1 } };
    return send(200, Date.now() - jobs.get(id) > 800 ? { job_id: id, status: 'done', result } : { job_id: id, status: 'running', result: null }); }
  if (u.pathname === '/health') return send(200, { status: 'ok', source: 'simulated', simulated: true, data: [], models: [] });
  const f = u.pathname === '/' ? 'index.html' : u.pathname.slice(1);
  try { const body = await readFile(join(dist, f)); res.writeHead(200, { 'content-type': { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' }[extname(f)] || 'application/octet-stream' }); res.end(body); }
  catch { send(404, { error: { code: 'NOT_FOUND', message: 'no route' } }); }
}
// --- minimal WebSocket (text frames only) ---
function frame(s) { const p = Buffer.from(s); const h = p.length < 126 ? Buffer.from([0x81, p.length]) : p.length < 65536 ? Buffer.from([0x81, 126, p.length >> 8, p.length & 255]) : null; return Buffer.concat([h, p]); }
function parse(buf) { const out = []; let o = 0; while (o + 2 <= buf.length) { const op = buf[o] & 15; let len = buf[o + 1] & 127, off = o + 2; if (len === 126) { len = buf.readUInt16BE(off); off += 2; } const mask = buf.slice(off, off + 4); off += 4; if (off + len > buf.length) break; const d = Buffer.alloc(len); for (let i = 0; i < len; i++) d[i] = buf[off + i] ^ mask[i % 4]; out.push({ op, text: d.toString() }); o = off + len; } return out; }
const server = createServer((req, res) => { handle(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); }); });
server.on('upgrade', (req, sock) => {
  const acc = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acc}\r\n\r\n`);
  const subs = new Set(); let rep = null;
  const tx = (o) => { if (!sock.destroyed) sock.write(frame(JSON.stringify(o))); };
  const live = setInterval(() => {
    for (const s of subs) { const [ch, asset, iv] = s.split('|'); if (ch !== 'candles') continue; const bars = agg(data[asset], IV[iv]); const b = { ...bars[bars.length - 1] }; b.cvd = b.cvd - (bars[bars.length - 2]?.cvd ?? 0); b.close *= 1 + (rnd() - 0.5) * 0.001; b.high = Math.max(b.high, b.close); b.low = Math.min(b.low, b.close); tx({ type: 'candle', asset, interval: iv, closed: false, bar: b }); }
    for (const s of subs) { const [ch, asset] = s.split('|'); if (ch === 'predictions' && rnd() < 0.3) tx({ type: 'prediction', ...predictAt(asset, 4, 0) }); }
  }, 500);
  const hb = setInterval(() => tx({ type: 'heartbeat', t: Date.now() }), 15000);
  const stopRep = () => { if (rep) clearInterval(rep.timer); rep = null; };
  const emit = () => { const b = data[rep.asset][rep.i++]; if (!b) { stopRep(); return; } rep.total++; if (rep.i % 3) rep.hits++;
    tx({ type: 'replay', asset: rep.asset, t: b.t, bar: b, predictions: [1, 4, 8, 24].map((h) => predictAt(rep.asset, h, b.t)), accuracy: { hits: rep.hits, total: rep.total } }); };
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); const fr = parse(buf); buf = Buffer.alloc(0);
    for (const f of fr) { if (f.op === 8) { sock.end(); return; } if (f.op !== 1) continue; let m; try { m = JSON.parse(f.text); } catch { continue; }
      const key = `${m.channel}|${m.asset}|${m.interval || ''}`;
      if (m.op === 'subscribe') { subs.add(key); tx({ type: 'subscribed', channel: m.channel, asset: m.asset, interval: m.interval }); }
      else if (m.op === 'unsubscribe') subs.delete(key);
      else if (m.op === 'replay' && !m.from && rep) { clearInterval(rep.timer); rep.timer = m.speed > 0 ? setInterval(emit, 1000 / m.speed) : null; }
      else if (m.op === 'replay') { stopRep(); const from = Date.parse(m.from); const i = data[m.asset].findIndex((b) => b.t >= from); rep = { asset: m.asset, i: Math.max(0, i), hits: 0, total: 0, timer: null }; if (m.speed > 0) rep.timer = setInterval(emit, 1000 / m.speed); }
      else if (m.op === 'replay_step') { if (rep) emit(); }
      else if (m.op === 'replay_stop') stopRep();
    } });
  const close = () => { clearInterval(live); clearInterval(hb); stopRep(); };
  sock.on('close', close); sock.on('error', close);
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
