import { describe, expect, it } from 'vitest';
import type { FrameScheduler } from '../helpers/frame-batcher';
import { Api } from './api';
import type { MarketDataResponse, Prediction } from './api-types';
import { CockpitController } from './controller';
import type { SocketDeps, WebSocketLike } from './socket';
import { assetInfo } from './fixtures';
import { createCockpitStore } from './store';

const T0 = Date.UTC(2025, 8, 1);
function md(asset = 'BTC', n = 5): MarketDataResponse {
  const t = Array.from({ length: n }, (_, i) => T0 + i * 60_000);
  return { asset: asset as 'BTC', symbol: 'BTCUSDT', interval: '1m', simulated: true, t, open: t.map(() => 1), high: t.map(() => 2), low: t.map(() => 0.5), close: t.map(() => 1.5), volume: t.map(() => 3), cvd: t.map((_, i) => i), flows: { whale: null, stablecoin: null, exchange_netflow: null } };
}
const pred = (h: number): Prediction => ({ asset: 'BTC', horizon_hours: h as 4, t_ms: T0, close: 1, p_up: 0.6, p_down: 0.4, expected_move: 0.01, volatility: 0.02, cone: [], confidence: 'low', regime: 'normal', model_version: 'v', stale: false, simulated: true });

interface Route { (url: URL, init?: RequestInit): { status: number; body: unknown } }
function fakeFetch(route: Route) {
  const calls: string[] = [];
  const f = async (input: string, init?: RequestInit) => {
    calls.push(input);
    const r = route(new URL(input, 'http://x'), init);
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
  };
  return { f, calls };
}

class FakeWs implements WebSocketLike {
  readyState = 0; sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null; onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null; onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(d: string) { this.sent.push(d); } close() { this.readyState = 3; }
}

function setup(route: Route) {
  const store = createCockpitStore();
  const { f, calls } = fakeFetch(route);
  const sockets: FakeWs[] = [];
  const deps: SocketDeps = { create: () => { const w = new FakeWs(); sockets.push(w); return w; }, setTimer: (cb, ms) => setTimeout(cb, ms), clearTimer: (id) => clearTimeout(id as number), rand: () => 0 };
  let frames: (() => void)[] = [];
  const scheduler: FrameScheduler = { request: (cb) => { frames.push(cb); return frames.length; }, cancel: () => { frames = []; } };
  const c = new CockpitController(store, { api: new Api('', f), socketUrl: 'ws://x/ws', socketDeps: deps, frames: scheduler, windowBars: 100, explainDelayMs: 0, backtestPollMs: 1 });
  const frame = () => { const run = frames; frames = []; run.forEach((cb) => cb()); };
  const open = () => { const w = sockets[sockets.length - 1]!; w.readyState = 1; w.onopen?.({}); return w; };
  const push = (o: unknown) => sockets[sockets.length - 1]!.onmessage?.({ data: JSON.stringify(o) });
  return { store, c, calls, sockets, frame, open, push };
}
const tick = () => new Promise((r) => setTimeout(r, 5));
/** Wait (up to 3 s) until cond holds; the last look decides. */
async function until(cond: () => boolean): Promise<void> {
  for (let t = 0; t < 300 && !cond(); t++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe('CockpitController', () => {
  it('loads market data and the prediction, subscribes on open', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    const s = h.store.getState();
    expect(s.load).toBe('ok');
    expect(s.series?.t.length).toBe(5);
    expect(s.extras.flows?.whale).toBeNull();
    expect(s.prediction?.p_up).toBe(0.6);
    const w = h.open();
    expect(w.sent.map((x) => JSON.parse(x).channel)).toEqual(['candles', 'predictions', 'market', 'alerts', 'jobs']);
    expect(JSON.parse(w.sent[4]!)).toEqual({ channel: 'jobs', op: 'subscribe' });
    h.c.destroy();
  });

  it('shows an alert firing as a toast until dismissed, newest first, at most four', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    h.open();
    const fire = (id: number) => h.push({ type: 'alert', id, rule_id: 1, name: '', kind: 'price_cross', asset: 'BTC', t_ms: id, time: '', value: 100, message: `m${id}`, simulated: true });
    for (let id = 1; id <= 5; id++) fire(id);
    expect(h.store.getState().alertToasts.map((a) => a.id)).toEqual([5, 4, 3, 2]);
    expect(h.store.getState().alertToasts[0]).not.toHaveProperty('type');
    h.c.dismissAlert(4);
    expect(h.store.getState().alertToasts.map((a) => a.message)).toEqual(['m5', 'm3', 'm2']);
    h.c.destroy();
  });

  it('shows where the data comes from (GET /health) and follows the market channel\'s stale flag', async () => {
    const health = {
      status: 'degraded', source: 'simulated', simulated: true, source_note: 'auto: no exchange answered within 8 s',
      data: [
        { kind: 'price', instrument: 'sim:spot:BTCUSDT', stale: false, age_ms: 0 },
        { kind: 'oi', instrument: 'sim:perp:BTCUSDT', stale: true, age_ms: 900_000 },
        { kind: 'price', instrument: 'sim:spot:ETHUSDT', stale: true, age_ms: 900_000 },
      ],
      live_predictions: [
        { symbol: 'ETHUSDT', drift: { score: 0.5, minutes: 1440 } },
        { symbol: 'BTCUSDT', drift: { score: 0.04, minutes: 300, worst_feature: 'returns_4h', worst_psi: 0.1 } },
      ],
    };
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : u.pathname === '/health' ? { status: 200, body: health } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    expect(h.store.getState().source).toEqual({ source: 'simulated', simulated: true, note: 'auto: no exchange answered within 8 s', degraded: true, staleKinds: ['oi'] });
    expect(h.store.getState().marketStale).toBe(false); // BTC's price is fresh (ETH's is not)
    expect(h.store.getState().modelDrift).toEqual({ score: 0.04, minutes: 300, worst_feature: 'returns_4h', worst_psi: 0.1 });
    h.open();
    h.push({ type: 'market', asset: 'ETH', stale: true });
    expect(h.store.getState().marketStale).toBe(false);
    h.push({ type: 'market', asset: 'BTC', stale: true });
    expect(h.store.getState().marketStale).toBe(true);
    h.c.destroy();
  });

  it('lists the server\'s assets (GET /assets) and leaves an asset the server does not serve', async () => {
    const assets = (names: string[]) => ({ count: names.length, source: 'simulated', horizons: [1, 4, 8, 24], assets: names.map((a) => assetInfo(a)) });
    let served = ['BTC', 'ETH', 'SOL'];
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md(u.searchParams.get('asset') ?? 'BTC') } : u.pathname === '/assets' ? { status: 200, body: assets(served) } : { status: 200, body: pred(4) }));
    h.store.setState({ asset: 'SOL' });
    h.c.start();
    await tick();
    expect(h.store.getState().assets.map((a) => a.asset)).toEqual(['BTC', 'ETH', 'SOL']);
    expect(h.store.getState().asset).toBe('SOL');
    served = ['ETH', 'XRP'];
    await h.c.loadAssets();
    expect(h.store.getState().asset).toBe('ETH'); // SOL is gone: the server's first asset
    expect(h.calls.some((c) => c.startsWith('/market-data?asset=ETH'))).toBe(true);
    h.c.destroy();
  });

  it('merges all ticks of a frame into one store update', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    h.open();
    let updates = 0;
    const off = h.store.subscribe((s, p) => { if (s.series !== p.series) updates += 1; });
    const last = T0 + 4 * 60_000;
    for (let i = 0; i < 10; i++) h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: false, bar: { t: last, open: 1, high: 2, low: 0.5, close: 1 + i / 10, volume: 3 } });
    h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: false, bar: { t: last + 60_000, open: 1, high: 2, low: 0.5, close: 9, volume: 1 } });
    h.push({ type: 'candle', asset: 'ETH', interval: '1m', closed: false, bar: { t: last + 60_000, open: 1, high: 2, low: 0.5, close: 99, volume: 1 } });
    expect(updates).toBe(0);
    h.frame();
    expect(updates).toBe(1);
    const s = h.store.getState().series!;
    expect(s.t.length).toBe(6);
    expect(s.close[4]).toBeCloseTo(1.9);
    expect(s.close[5]).toBe(9);
    off(); h.c.destroy();
  });

  it('keeps live bars that arrive while the snapshot loads', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    const slowApi = h.c.api as unknown as { marketData: (...a: unknown[]) => Promise<unknown> };
    const orig = slowApi.marketData.bind(h.c.api);
    slowApi.marketData = async (...a: unknown[]) => { await gate; return orig(...a); };
    h.c.start();
    h.open();
    // a bar closes (t+5) and the next starts (t+6) before the 5-bar snapshot arrives
    h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: true, bar: { t: T0 + 5 * 60_000, open: 1, high: 2, low: 0.5, close: 7, volume: 1, cvd: 1 } });
    h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: false, bar: { t: T0 + 6 * 60_000, open: 1, high: 2, low: 0.5, close: 8, volume: 1, cvd: 2 } });
    h.frame();
    release();
    await tick();
    const s = h.store.getState().series!;
    expect(s.t.length).toBe(7);
    expect(s.close.slice(5)).toEqual([7, 8]);
    expect(s.cvd.slice(4)).toEqual([4, 5, 7]); // deltas continue the snapshot's running CVD
    h.c.destroy();
  });

  it('a live bar past a hole fetches the missing bars', async () => {
    const froms: string[] = [];
    const h = setup((u) => {
      if (u.pathname !== '/market-data') return { status: 200, body: pred(4) };
      if (u.searchParams.get('from')) { froms.push(u.searchParams.get('from')!); return { status: 200, body: md('BTC', 8) }; }
      return { status: 200, body: md() };
    });
    h.c.start();
    await tick();
    h.open();
    h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: false, bar: { t: T0 + 7 * 60_000, open: 1, high: 2, low: 0.5, close: 9, volume: 1, cvd: 0 } });
    h.frame();
    await tick();
    expect(froms).toEqual([String(T0 + 4 * 60_000)]);
    expect(h.store.getState().series?.t.length).toBe(8);
    h.c.destroy();
  });

  it('shows 503 PREDICTION_UNAVAILABLE as model-not-ready with its retry delay', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() }
      : { status: 503, body: { error: { code: 'PREDICTION_UNAVAILABLE', message: 'no model yet', details: { retry_after_seconds: 30 } } } }));
    h.c.start();
    await tick();
    const s = h.store.getState();
    expect(s.predictionState).toBe('unavailable');
    expect(s.retryAfterS).toBe(30);
    h.c.destroy();
  });

  it('a live prediction for another horizon is cached, not shown; switching horizon shows it', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(Number(u.searchParams.get('horizon_hours'))) }));
    h.c.start();
    await tick();
    h.open();
    h.push({ type: 'prediction', ...pred(8), p_up: 0.9 });
    expect(h.store.getState().prediction?.horizon_hours).toBe(4);
    h.store.setState({ horizon: 8 });
    expect(h.store.getState().prediction?.p_up).toBe(0.9); // from the cache at once
    h.c.destroy();
  });

  it('fills the gap after a reconnect', async () => {
    let gapFrom: string | null = null;
    const h = setup((u) => {
      if (u.pathname !== '/market-data') return { status: 200, body: pred(4) };
      if (u.searchParams.get('from')) {
        gapFrom = u.searchParams.get('from');
        // the server's answer starts at our last bar, its CVD running from 0 there
        const m = md('BTC', 8);
        const k = 4;
        const cut = <T,>(a: T[]) => a.slice(k);
        return { status: 200, body: { ...m, t: cut(m.t), open: cut(m.open), high: cut(m.high), low: cut(m.low), close: cut(m.close), volume: cut(m.volume), cvd: [0, 1, 1, 3] } };
      }
      return { status: 200, body: md() };
    });
    h.c.start();
    await tick();
    h.open();
    h.sockets[0]!.onclose?.({});
    await new Promise((r) => setTimeout(r, 300));
    h.open();
    await tick();
    expect(gapFrom).toBe(String(T0 + 4 * 60_000));
    expect(h.store.getState().series?.t.length).toBe(8);
    expect(h.store.getState().series?.cvd.slice(3)).toEqual([3, 4, 5, 5, 7]); // rebased onto our running CVD (4 at the last bar)
    h.c.destroy();
  });

  it('replay: rewinds, sends the replay op, applies replay bars, predictions and accuracy', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    const w = h.open();
    await h.c.startReplay((T0 + 5 * 60_000) as never);
    const op = JSON.parse(w.sent[w.sent.length - 1]!);
    expect(op).toMatchObject({ op: 'replay', asset: 'BTC', interval: '1m', speed: 20 });
    h.push({ type: 'replay', asset: 'BTC', interval: '1m', t: T0 + 5 * 60_000, bar: { t: T0 + 5 * 60_000, open: 1, high: 3, low: 1, close: 2, volume: 1, cvd: 2 },
      predictions: [{ ...pred(4), p_up: 0.7 }], accuracy: { hits: 3, total: 4 } });
    h.frame();
    const s = h.store.getState();
    expect(s.series?.t.length).toBe(6);
    expect(s.series?.cvd[5]).toBe(4 + 2); // continues the running CVD of the rewound window
    expect(s.prediction?.p_up).toBe(0.7);
    expect([s.replay.hits, s.replay.total]).toEqual([3, 4]);
    h.c.setPlaying(false);
    expect(JSON.parse(w.sent[w.sent.length - 1]!)).toEqual({ op: 'replay', asset: 'BTC', speed: 0 });
    h.push({ type: 'replay', asset: 'BTC', done: true, accuracy: { hits: 3, total: 4 } });
    expect(h.store.getState().replay.playing).toBe(false);
    h.c.destroy();
  });

  it('market: flows_updated reloads the flows panel only', async () => {
    let withWhale = false;
    const h = setup((u) => (u.pathname === '/market-data'
      ? { status: 200, body: withWhale ? { ...md(), flows: { ...md().flows, whale: { source: 'whale_alert' } } } : md() }
      : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    h.open();
    const rev = h.store.getState().seriesRev;
    withWhale = true;
    h.push({ type: 'market', asset: 'ETH', flows_updated: true, source: 'whale_alert' }); // another asset: nothing
    await tick();
    expect(h.store.getState().extras.flows?.whale).toBeNull();
    h.push({ type: 'market', asset: 'BTC', flows_updated: true, source: 'whale_alert' });
    await until(() => h.store.getState().extras.flows?.whale != null);
    expect(h.store.getState().seriesRev).toBe(rev); // the bars were not reloaded
    h.c.destroy();
  });

  it('replay: a live tick batched before the replay started stays out of the rewound series', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    h.open();
    const live = h.store.getState().series!.t.at(-1)! + 10 * 60_000;
    h.push({ type: 'candle', asset: 'BTC', interval: '1m', closed: false, bar: { t: live, open: 1, high: 1, low: 1, close: 1, volume: 1, cvd: 0 } });
    const from = T0 + 5 * 60_000; // the (fake) rewind answers the same 5 bars, T0 .. T0 + 4 min
    await h.c.startReplay(from as never);
    h.frame(); // the live batcher flushes now, after the rewind
    h.push({ type: 'replay', asset: 'BTC', interval: '1m', t: from, bar: { t: from, open: 1, high: 3, low: 1, close: 2, volume: 1, cvd: 2 } });
    h.frame();
    const t = h.store.getState().series!.t;
    expect(t.at(-1)).toBe(from);
    expect(t.includes(live as never)).toBe(false);
    h.c.destroy();
  });

  it('replay: keeps where the alert rules would have fired, until back to live, and shows the bar\'s drift', async () => {
    const h = setup((u) => (u.pathname === '/market-data' ? { status: 200, body: md() } : { status: 200, body: pred(4) }));
    h.c.start();
    await tick();
    h.open();
    await h.c.startReplay((T0 + 5 * 60_000) as never);
    const fired = (id: number, t: number) => ({ rule_id: id, kind: 'price_cross' as const, t, value: 2, message: `m${id}` });
    h.push({ type: 'replay', asset: 'BTC', t: T0 + 5 * 60_000, alerts: [fired(1, T0 + 6 * 60_000)] });
    const before = h.store.getState().replay.alerts;
    h.push({ type: 'replay', asset: 'BTC', t: T0 + 6 * 60_000 }); // no firing: the same list (no marker redraw)
    expect(h.store.getState().replay.alerts).toBe(before);
    h.push({ type: 'replay', asset: 'BTC', t: T0 + 7 * 60_000, alerts: [fired(2, T0 + 8 * 60_000), fired(3, T0 + 8 * 60_000)] });
    expect(h.store.getState().replay.alerts.map((a) => a.rule_id)).toEqual([1, 2, 3]);
    // the drift score shown is the replayed bar's
    h.push({ type: 'replay', asset: 'BTC', t: T0 + 8 * 60_000, drift: 5.25 });
    expect(h.store.getState().modelDrift).toEqual({ score: 5.25, minutes: 1440 });
    h.push({ type: 'replay', asset: 'BTC', t: T0 + 9 * 60_000, drift: null });
    expect(h.store.getState().modelDrift?.score).toBeNull();
    h.c.stopReplay(false);
    expect(h.store.getState().replay.alerts).toEqual([]);
    h.c.destroy();
  });

  it('backtest: posts, polls until done, reads the result', async () => {
    let polls = 0;
    const h = setup((u, init) => {
      if (u.pathname === '/market-data') return { status: 200, body: md() };
      if (u.pathname === '/backtest' && init?.method === 'POST') return { status: 202, body: { job_id: 'j1' } };
      if (u.pathname === '/backtest/j1') { polls += 1; return { status: 200, body: polls < 3 ? { job_id: 'j1', status: 'running', result: null } : { job_id: 'j1', status: 'done', result: { equity: { t: [T0, T0 + 1], v: [1, 2] }, metrics: { sharpe_ratio: 1 } } } }; }
      return { status: 200, body: pred(4) };
    });
    h.c.start();
    await h.c.runBacktest(T0 as never, (T0 + 1) as never);
    await new Promise((r) => setTimeout(r, 100));
    const b = h.store.getState().backtest;
    expect(b.status).toBe('done');
    expect(b.view?.equity.length).toBe(2);
    expect(polls).toBe(3);
    h.c.destroy();
  });

  // the WebSocket jobs channel instead of polling (issue 16): a route table that counts the GETs
  const RESULT = { equity: { t: [T0, T0 + 1], v: [1, 2] }, metrics: { sharpe_ratio: 1 } };
  function jobServer(doneAt = 2) {
    const n = { polls: 0, saved: 0, wsProgress: true }; // GET /backtest/j1 answers running until n.polls reaches doneAt
    const h = setup((u, init) => {
      if (u.pathname === '/market-data') return { status: 200, body: md() };
      if (u.pathname === '/backtest' && init?.method === 'POST') return { status: 202, body: { job_id: 'j1', ws_progress: n.wsProgress } };
      if (u.pathname === '/backtest/j1') { n.polls += 1; return { status: 200, body: { job_id: 'j1', status: n.polls < doneAt ? 'running' : 'done', progress: prog(2, 4), result: RESULT } }; }
      if (u.pathname === '/backtests/j1') { n.saved += 1; return { status: 200, body: { id: 'j1', result: RESULT } }; }
      if (u.pathname === '/backtests') return { status: 200, body: { runs: [], total: 0, offset: 0, limit: 20 } };
      return { status: 200, body: pred(4) };
    });
    return { h, n };
  }
  const prog = (done: number, total: number) => ({ stage: 'training', folds_total: total, folds_done: done, folds_reused: 0, folds_trained: done, eta_ms: 1000 });

  it('backtest with the WebSocket up: progress and the end from the jobs channel, no GET /backtest/{id}', async () => {
    const { h, n } = jobServer();
    h.c.start();
    h.open();
    await h.c.runBacktest(T0 as never, (T0 + 1) as never);
    h.push({ type: 'job', job_id: 'other', status: 'running', progress: prog(3, 3) }); // another client's job
    h.push({ type: 'job', job_id: 'j1', status: 'running', progress: prog(1, 4) });
    expect(h.store.getState().backtest.progress?.folds_done).toBe(1);
    h.push({ type: 'job', job_id: 'j1', status: 'running', progress: prog(3, 4) });
    expect(h.store.getState().backtest.progress?.folds_done).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.store.getState().backtest.status).toBe('running');
    h.push({ type: 'job', job_id: 'j1', status: 'done', saved: true, progress: prog(4, 4) });
    await tick();
    const b = h.store.getState().backtest;
    expect(b.status).toBe('done');
    expect(b.view?.equity.length).toBe(2);
    expect(n).toMatchObject({ polls: 0, saved: 1 });
    h.c.destroy();
  });

  it('backtest: a job message before POST /backtest answers is kept; failed and cancelled carry their end', async () => {
    const { h, n } = jobServer();
    h.c.start();
    h.open();
    const run = h.c.runBacktest(T0 as never, (T0 + 1) as never);
    h.push({ type: 'job', job_id: 'j1', status: 'failed', error: 'no rows before 2024-01-01' }); // before the 202
    await run;
    expect(h.store.getState().backtest).toMatchObject({ status: 'failed', error: 'no rows before 2024-01-01' });
    await h.c.runBacktest(T0 as never, (T0 + 1) as never);
    h.push({ type: 'job', job_id: 'j1', status: 'cancelled', error: 'cancelled' });
    expect(h.store.getState().backtest.status).toBe('cancelled');
    expect(n.polls).toBe(0);
    h.c.destroy();
  });

  it('backtest: a server that does not push the job (ws_progress false, the bus path) is polled with the WebSocket up', async () => {
    const { h, n } = jobServer(3);
    n.wsProgress = false;
    h.c.start();
    h.open();
    await h.c.runBacktest(T0 as never, (T0 + 1) as never);
    await until(() => h.store.getState().backtest.status === 'done');
    expect(n.polls).toBe(3);
    expect(h.store.getState().backtest.view?.equity.length).toBe(2);
    h.c.destroy();
  });

  it('backtest: polls GET /backtest/{id} while the WebSocket is down, once more when it is back, then follows it', async () => {
    const { h, n } = jobServer(Infinity);
    h.c.start();
    const w = h.open();
    await h.c.runBacktest(T0 as never, (T0 + 1) as never);
    expect(n.polls).toBe(0);
    w.readyState = 3;
    w.onclose?.({}); // down: polled every pollMs (1 ms here) until the socket is back
    await until(() => n.polls > 2);
    await until(() => h.sockets.length === 2); // the reconnect (backoff 125-250 ms)
    h.open();
    await new Promise((r) => setTimeout(r, 200)); // the poll in flight and the catch-up look
    const after = n.polls;
    await new Promise((r) => setTimeout(r, 200));
    expect(n.polls).toBe(after); // the catch-up look, then no more polling
    expect(h.store.getState().backtest.status).toBe('running');
    h.push({ type: 'job', job_id: 'j1', status: 'done', saved: true, progress: prog(4, 4) });
    await tick();
    expect(h.store.getState().backtest.status).toBe('done');
    expect(n.saved).toBe(1);
    h.c.destroy();
  });
});
