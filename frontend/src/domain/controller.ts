/**
 * The cockpit's side effects: loads market data and predictions over HTTP, keeps the live
 * WebSocket subscribed to the selected asset/interval, merges ticks into one store update
 * per animation frame, fills gaps after a reconnect, fetches explanations on hover, drives
 * replay and backtest jobs (followed on the WebSocket's jobs channel, backtest-job.ts). It writes the store; components only read it and call methods.
 * destroy() ends every timer, request and the socket.
 */
import { FrameBatcher, animationFrames, type FrameScheduler } from '../helpers/frame-batcher';
import { liveCounters } from '../helpers/counters';
import { unixMs, type UnixMs } from '../helpers/units';
import { Api, ApiError } from './api';
import { INTERVAL_MS, type AlertEvent, type Asset, type Horizon, type Interval, type Prediction, type ServerMessage, type WsBar } from './api-types';
import { BacktestJobs } from './backtest-job';
import { barIndexAt, foldBar, fromColumnar, gapFillFrom, lastBar, mergeBars } from './series';
import { LiveSocket, browserSocketDeps, type SocketDeps } from './socket';
import { initialReplay, type CockpitStore } from './store';

export interface ControllerOptions {
  api: Api;
  socketUrl: string | null;
  socketDeps?: SocketDeps;
  frames?: FrameScheduler;
  /** Bars kept in the live window (and loaded initially). */
  windowBars?: number;
  explainDelayMs?: number;
  backtestPollMs?: number;
}

type Timer = ReturnType<typeof setTimeout>;

const ALERT_TOAST_MS = 15_000;
const ALERT_TOASTS = 4;
/** Replayed firings kept for the chart's markers (the newest). */
const REPLAY_ALERTS = 500;

export class CockpitController {
  readonly api: Api;
  private socket: LiveSocket | null = null;
  /** Live candles (cvd = the bar's own delta) and replay bars (cvd already a running sum). */
  private batcher: FrameBatcher<WsBar>;
  private replayBatcher: FrameBatcher<WsBar>;
  private unsubStore: (() => void) | null = null;
  private predCache = new Map<string, Prediction>();
  private explainCache = new Map<string, unknown>();
  private loadAbort: AbortController | null = null;
  private predAbort: AbortController | null = null;
  private explainAbort: AbortController | null = null;
  private explainTimer: Timer | null = null;
  private predRetryTimer: Timer | null = null;
  private jobs: BacktestJobs;
  private gapTimer: Timer | null = null;
  private healthTimer: Timer | null = null;
  private alertTimers = new Set<Timer>();
  /** Gap fills asked per hole start (a hole the server never fills is not asked forever). */
  private holeTries = new Map<number, number>();
  private lastHoleFill = 0;
  private subscribed: { asset: Asset; interval: Interval } | null = null;
  private replayCvdBase = 0;
  /** Live bars that arrived while the series was (re)loading: merged once it is in. */
  private liveDuringLoad: WsBar[] = [];
  private liveDuringReplay: WsBar[] = [];
  private loading = false;
  private destroyed = false;
  readonly windowBars: number;

  constructor(private readonly store: CockpitStore, private readonly opts: ControllerOptions) {
    this.api = opts.api;
    this.windowBars = opts.windowBars ?? 5000;
    this.batcher = new FrameBatcher<WsBar>((bars) => this.applyBars(bars), opts.frames ?? animationFrames);
    this.replayBatcher = new FrameBatcher<WsBar>((bars) => this.applyBars(bars, false), opts.frames ?? animationFrames);
    liveCounters.inc('batchers');
    this.jobs = new BacktestJobs({ api: this.api, store, wsUp: () => this.store.getState().conn === 'open', pollMs: opts.backtestPollMs ?? 400 });
  }

  start(): void {
    this.unsubStore = this.store.subscribe((s, prev) => {
      if (s.asset !== prev.asset || s.interval !== prev.interval) {
        if (s.replay.active) this.stopReplay(false);
        void this.loadMarket();
        this.resubscribe();
      }
      if (s.asset !== prev.asset) void this.loadHealth();
      if (s.asset !== prev.asset || s.horizon !== prev.horizon) {
        if (!s.replay.active) void this.loadPrediction();
        this.explainCache.clear();
        if (s.hoverT !== null) this.hover(s.hoverT);
      }
    });
    void this.loadMarket();
    void this.loadPrediction();
    void this.loadHealth();
    void this.loadAssets();
    if (this.opts.socketUrl) {
      this.socket = new LiveSocket(this.opts.socketUrl, {
        onMessage: (m) => this.onMessage(m),
        onStatus: (conn, connRetryMs) => {
          if (this.destroyed) return;
          this.store.setState({ conn, connRetryMs });
          this.jobs.onConnChange();
        },
        onReconnected: () => {
          const st = this.store.getState();
          if (st.replay.active) return;
          // a load that failed while the server was away is redone; otherwise fetch what we missed
          if (st.load === 'error' || st.load === 'loading' || !st.series) void this.loadMarket(); else void this.fillGap();
          if (st.predictionState === 'error') void this.loadPrediction();
        },
      }, this.opts.socketDeps ?? browserSocketDeps);
      this.resubscribe();
      this.socket.subscribe({ channel: 'jobs' }); // every backtest job: the one we run is followed there
    } else {
      this.store.setState({ conn: 'closed' });
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unsubStore?.();
    this.socket?.destroy();
    this.socket = null;
    this.batcher.destroy();
    this.replayBatcher.destroy();
    this.jobs.destroy();
    liveCounters.dec('batchers');
    for (const a of [this.loadAbort, this.predAbort, this.explainAbort]) a?.abort();
    for (const t of [this.explainTimer, this.predRetryTimer, this.gapTimer, this.healthTimer]) if (t) clearTimeout(t);
    for (const t of this.alertTimers) clearTimeout(t);
    this.alertTimers.clear();
  }

  // ---- data source -----------------------------------------------------------------

  /** GET /assets: the switcher's list. An asset the server does not serve (a stale URL, another
   * configuration) gives way to the server's first one. Refreshed with /health (freshness). */
  async loadAssets(): Promise<void> {
    try {
      const r = await this.api.assets();
      if (this.destroyed || !Array.isArray(r?.assets) || r.assets.length === 0) return;
      const cur = this.store.getState().asset;
      const known = r.assets.some((a) => a.asset === cur);
      this.store.setState(known ? { assets: r.assets } : { assets: r.assets, asset: r.assets[0]!.asset });
    } catch {
      /* the server is away (the badge says so) or predates /assets: the switcher keeps its list */
    }
  }

  /** GET /health now and every 30 s: the source, its note, which kinds of the asset are stale. */
  async loadHealth(): Promise<void> {
    if (this.healthTimer) { clearTimeout(this.healthTimer); this.healthTimer = null; }
    try {
      const h = await this.api.health();
      if (this.destroyed) return;
      const st = this.store.getState();
      const sym = st.assets.find((x) => x.asset === st.asset)?.symbol ?? `${st.asset}USDT`;
      const staleKinds = [...new Set((h.data ?? []).filter((d) => d.stale && d.instrument.endsWith(`:${sym}`)).map((d) => d.kind))];
      this.store.setState({
        source: { source: h.source, simulated: h.simulated, note: h.source_note ?? '', degraded: h.status !== 'ok', staleKinds },
        marketStale: staleKinds.includes('price'),
        // during a replay the drift shown is the replayed bar's (onReplay)
        ...(st.replay.active ? {} : { modelDrift: (h.live_predictions ?? []).find((l) => l.symbol === sym)?.drift ?? null }),
      });
    } catch {
      /* the server is away: the connection badge says so; asked again below */
    }
    if (!this.destroyed) this.healthTimer = setTimeout(() => { this.healthTimer = null; void this.loadHealth(); void this.loadAssets(); }, 30_000);
  }

  // ---- market data ---------------------------------------------------------------

  async loadMarket(to?: number): Promise<void> {
    const { asset, interval } = this.store.getState();
    this.loadAbort?.abort();
    const ab = new AbortController();
    this.loadAbort = ab;
    this.store.setState({ load: 'loading', loadError: null });
    this.loading = to === undefined; // live bars are kept for a live load, not for a rewind
    this.liveDuringLoad = [];
    if (to !== undefined) this.liveDuringReplay = [];
    try {
      const md = await this.api.marketData({ asset, interval, limit: this.windowBars, ...(to !== undefined ? { to } : {}) }, ab.signal);
      if (ab.signal.aborted || this.destroyed) return;
      if (typeof performance !== 'undefined') performance.mark('cpe:data');
      const series = fromColumnar(md);
      if (typeof performance !== 'undefined') performance.mark('cpe:parsed');
      this.store.setState((s) => ({
        series, seriesRev: s.seriesRev + 1, load: 'ok',
        extras: { liqClusters: md.liq_clusters ?? [], levels: md.levels ?? [], volumeProfile: md.volume_profile ?? [], flows: md.flows ?? null },
      }));
      // bars that streamed in while the snapshot was on its way (a bar may have closed meanwhile)
      const late = this.liveDuringLoad.filter((b) => series.t.length === 0 || b.t >= series.t[series.t.length - 1]!);
      const afterReplay = this.liveDuringReplay.filter((b) => series.t.length > 0 && b.t > series.t[series.t.length - 1]!);
      this.liveDuringLoad = [];
      this.liveDuringReplay = [];
      this.loading = false;
      if (late.length + afterReplay.length > 0) this.applyBars([...afterReplay, ...late]);
    } catch (e) {
      if (ab.signal.aborted || this.destroyed) return;
      this.loading = false;
      this.liveDuringLoad = [];
      this.store.setState({ load: 'error', loadError: e instanceof Error ? e.message : String(e) });
    }
  }

  /** After a reconnect: fetch the bars since the last one we have and merge them. */
  /**
   * Fetch the bars from `fromT` (default: the bar before the first hole among the recent
   * bars, else our last bar) up to our newest bar, and merge them. When the server is away,
   * try again later, up to 4 times; a hole that remains (the server had not stored those bars
   * yet, e.g. right after its restart) is asked again by later live bars (applyBars).
   */
  async fillGap(fromT?: number, attempt = 0): Promise<void> {
    const s = this.store.getState();
    if (!s.series || s.replay.active || s.series.t.length === 0) return;
    const from = fromT ?? gapFillFrom(s.series, INTERVAL_MS[s.interval]);
    try {
      // `to` = our newest bar: the server's clock (simulated time may run ahead of ours)
      const to = Math.max(from, s.series.t[s.series.t.length - 1]!);
      const md = await this.api.marketData({ asset: s.asset, interval: s.interval, from, to, limit: this.windowBars });
      const cur = this.store.getState();
      if (this.destroyed || !cur.series || cur.asset !== md.asset || cur.interval !== md.interval) return;
      const gap = fromColumnar(md);
      // the gap's CVD runs from its own first bar, which is our last one: rebase onto ours
      const at = barIndexAt(cur.series, from);
      const ours = at >= 0 && cur.series.t[at] === from ? (cur.series.cvd[at] ?? null) : null;
      const shift = gap.t[0] === from && ours !== null && gap.cvd[0] != null ? ours - gap.cvd[0] : 0;
      const bars: WsBar[] = gap.t.map((t, i) => ({
        t, open: gap.open[i]!, high: gap.high[i]!, low: gap.low[i]!, close: gap.close[i]!, volume: gap.volume[i]!,
        cvd: gap.cvd[i] == null ? null : gap.cvd[i]! + shift, oi: gap.oi[i] ?? null, funding: gap.funding[i] ?? null,
        liq_long: gap.liqLong[i] ?? null, liq_short: gap.liqShort[i] ?? null, basis: gap.basis[i] ?? null,
      }));
      this.mergeIntoStore(bars, false);
    } catch {
      this.retryGap(attempt); // server away: the reconnect fills, or this retry does
    }
  }

  private retryGap(attempt: number): void {
    if (this.destroyed || attempt >= 4 || this.gapTimer) return;
    this.gapTimer = setTimeout(() => { this.gapTimer = null; void this.fillGap(undefined, attempt + 1); }, 1000 * (attempt + 1));
  }

  private mergeIntoStore(bars: WsBar[], cvdIsDelta: boolean): void {
    const s = this.store.getState();
    if (!s.series) return;
    const r = mergeBars(s.series, bars, this.windowBars, 500, cvdIsDelta);
    if (r.change === 'none') return;
    this.store.setState((st) => ({
      series: r.series, seriesRev: r.change === 'reset' ? st.seriesRev + 1 : st.seriesRev, liveTicks: st.liveTicks + bars.length,
    }));
  }

  /** One store update per animation frame with every tick that arrived in it. */
  private applyBars(bars: WsBar[], live = true): void {
    if (this.destroyed) return;
    // live ticks batched before a replay started must not land in the rewound series (the
    // live series is reloaded when the replay ends)
    if (live && this.store.getState().replay.active) return;
    if (live && this.loading) { this.liveDuringLoad.push(...bars); return; }
    const s = this.store.getState();
    const n = s.series?.t.length ?? 0;
    const last = n > 0 ? s.series!.t[n - 1]! : null;
    this.mergeIntoStore(bars, live);
    // a live bar beyond the next slot means bars were missed (a stall, a late subscription,
    // a server restart whose store catches up later): fetch them, re-checking now and then
    if (!live || last === null) return;
    const now = this.store.getState().series;
    if (!now) return;
    const from = gapFillFrom(now, INTERVAL_MS[now.interval]);
    if (from >= now.t[now.t.length - 1]!) return;
    const tries = this.holeTries.get(from) ?? 0;
    if (tries < 12 && Date.now() - this.lastHoleFill > 5000) {
      this.holeTries.set(from, tries + 1);
      this.lastHoleFill = Date.now();
      void this.fillGap(from);
    }
  }

  // ---- predictions ---------------------------------------------------------------

  private predKey = (a: Asset, h: Horizon) => `${a}|${h}`;

  async loadPrediction(): Promise<void> {
    const { asset, horizon } = this.store.getState();
    if (this.predRetryTimer) { clearTimeout(this.predRetryTimer); this.predRetryTimer = null; }
    const cached = this.predCache.get(this.predKey(asset, horizon));
    if (cached) this.store.setState({ prediction: cached, predictionState: 'ok', predictionError: null });
    else this.store.setState({ predictionState: 'loading', predictionError: null, prediction: null });
    this.predAbort?.abort();
    const ab = new AbortController();
    this.predAbort = ab;
    try {
      const p = await this.api.predict({ asset, horizon }, ab.signal);
      if (ab.signal.aborted || this.destroyed) return;
      this.acceptPrediction(p, true);
    } catch (e) {
      if (ab.signal.aborted || this.destroyed) return;
      if (e instanceof ApiError && e.code === 'PREDICTION_UNAVAILABLE') {
        const retry = Math.min(60, Math.max(2, e.retryAfterS ?? 10));
        this.store.setState({ predictionState: 'unavailable', predictionError: e.message, retryAfterS: retry, prediction: null });
        this.predRetryTimer = setTimeout(() => { void this.loadPrediction(); }, retry * 1000);
      } else {
        this.store.setState({ predictionState: 'error', predictionError: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Keep a prediction; show it when it is for the selected asset and horizon. */
  acceptPrediction(p: Prediction, fromLive: boolean): void {
    const s = this.store.getState();
    if (fromLive) this.predCache.set(this.predKey(p.asset, p.horizon_hours), p);
    if (p.asset === s.asset && p.horizon_hours === s.horizon) {
      if (typeof performance !== 'undefined') performance.mark('cpe:prediction');
      this.store.setState({ prediction: p, predictionState: 'ok', predictionError: null, retryAfterS: null });
    }
  }

  // ---- socket --------------------------------------------------------------------

  private resubscribe(): void {
    if (!this.socket) return;
    const { asset, interval } = this.store.getState();
    const old = this.subscribed;
    if (old && (old.asset !== asset || old.interval !== interval)) {
      this.socket.unsubscribe({ channel: 'candles', asset: old.asset, interval: old.interval });
      if (old.asset !== asset) {
        this.socket.unsubscribe({ channel: 'predictions', asset: old.asset });
        this.socket.unsubscribe({ channel: 'market', asset: old.asset });
        this.socket.unsubscribe({ channel: 'alerts', asset: old.asset });
      }
    }
    this.socket.subscribe({ channel: 'candles', asset, interval });
    this.socket.subscribe({ channel: 'predictions', asset });
    this.socket.subscribe({ channel: 'market', asset });
    this.socket.subscribe({ channel: 'alerts', asset });
    this.subscribed = { asset, interval };
  }

  private onMessage(m: ServerMessage): void {
    if (this.destroyed) return;
    this.store.setState({ lastMessageAt: Date.now() });
    const s = this.store.getState();
    switch (m.type) {
      case 'candle':
        if (m.asset !== s.asset || m.interval !== s.interval) return;
        if (s.replay.active) {
          // not drawn during a replay, but kept: the store may not have them yet when we go back
          if (m.closed) { this.liveDuringReplay.push(m.bar); if (this.liveDuringReplay.length > 1000) this.liveDuringReplay.shift(); }
          return;
        }
        this.batcher.push(m.bar.t, m.bar);
        return;
      case 'prediction':
        if (s.replay.active) { this.predCache.set(this.predKey(m.asset, m.horizon_hours), m); return; }
        this.acceptPrediction(m, true);
        return;
      case 'replay':
        this.onReplay(m);
        return;
      case 'alert':
        this.showAlert(m);
        return;
      case 'market':
        if (m.asset === s.asset && typeof m.stale === 'boolean') this.store.setState({ marketStale: m.stale });
        // the server polled an on-chain source and stored new points: redraw the flows panel
        if (m.asset === s.asset && m.flows_updated && !s.replay.active) void this.reloadFlows();
        return;
      case 'job':
        this.jobs.onMessage(m);
        return;
      case 'error':
        if (s.replay.active) this.store.setState({ replay: { ...s.replay, error: m.error.message } });
        return;
      default:
        return;
    }
  }

  // ---- alerts --------------------------------------------------------------------

  /** A firing becomes a toast for ALERT_TOAST_MS (at most ALERT_TOASTS at once). */
  private showAlert(m: AlertEvent): void {
    const ev: AlertEvent = { ...m };
    delete (ev as { type?: string }).type;
    this.store.setState({ alertToasts: [ev, ...this.store.getState().alertToasts].slice(0, ALERT_TOASTS) });
    const timer = setTimeout(() => { this.alertTimers.delete(timer); this.dismissAlert(ev.id); }, ALERT_TOAST_MS);
    this.alertTimers.add(timer);
  }

  dismissAlert(id: number): void {
    this.store.setState({ alertToasts: this.store.getState().alertToasts.filter((a) => a.id !== id) });
  }

  // ---- explanations --------------------------------------------------------------

  hover(t: UnixMs | null): void {
    const s = this.store.getState();
    if (t === s.hoverT && s.explainState !== 'idle' && this.explainTimer === null) return;
    this.store.setState({ hoverT: t });
    if (this.explainTimer) { clearTimeout(this.explainTimer); this.explainTimer = null; }
    if (t === null) return;
    const lastT = s.series && s.series.t.length > 0 ? s.series.t[s.series.t.length - 1]! : null;
    if (lastT !== null && t > lastT) {
      // over the cone, not a bar: nothing was believed there yet
      this.explainAbort?.abort();
      this.store.setState({ explanation: null, explainState: 'idle', explainError: null });
      return;
    }
    const key = `${s.asset}|${s.horizon}|${t}`;
    const hit = this.explainCache.get(key);
    if (hit) { this.store.setState({ explanation: hit as never, explainState: 'ok', explainError: null }); return; }
    this.explainTimer = setTimeout(() => {
      this.explainTimer = null;
      void this.fetchExplain(t, key);
    }, this.opts.explainDelayMs ?? 120);
  }

  private async fetchExplain(t: UnixMs, key: string): Promise<void> {
    const { asset, horizon, interval } = this.store.getState();
    this.explainAbort?.abort();
    const ab = new AbortController();
    this.explainAbort = ab;
    this.store.setState({ explainState: 'loading' });
    try {
      // `at` is the bar's close: the model's belief once that bar had closed
      const e = await this.api.explain({ asset, horizon, at: t + INTERVAL_MS[interval] - 1 }, ab.signal);
      if (ab.signal.aborted || this.destroyed) return;
      this.explainCache.set(key, e);
      this.store.setState({ explanation: e, explainState: 'ok', explainError: null });
    } catch (err) {
      if (ab.signal.aborted || this.destroyed) return;
      this.store.setState({ explanation: null, explainState: 'error', explainError: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The flows panel's series again (the chart's window; bars and the rest stay as they are). */
  private async reloadFlows(): Promise<void> {
    const { asset, interval } = this.store.getState();
    try {
      const md = await this.api.marketData({ asset, interval, limit: this.windowBars });
      const st = this.store.getState();
      if (this.destroyed || st.asset !== asset || st.interval !== interval || st.replay.active) return;
      this.store.setState({ extras: { ...st.extras, flows: md.flows ?? null } });
    } catch {
      /* the next update or load brings them */
    }
  }

  // ---- replay --------------------------------------------------------------------

  /** Rewind the chart to `from` and replay from there at the current speed. */
  async startReplay(from: UnixMs): Promise<void> {
    const s = this.store.getState();
    this.store.setState({ replay: { ...initialReplay, speed: s.replay.speed, active: true, playing: true, from, t: from }, prediction: null, predictionState: 'loading' });
    await this.loadMarket(from - 1);
    if (this.destroyed || !this.store.getState().replay.active) return;
    // the server's replay bars carry CVD summed from the replay start: continue our running sum
    const ser = this.store.getState().series;
    this.replayCvdBase = ser && ser.cvd.length > 0 ? (ser.cvd[ser.cvd.length - 1] ?? 0) : 0;
    try {
      const p = await this.api.predict({ asset: s.asset, horizon: s.horizon, at: from - 1 });
      if (!this.destroyed && this.store.getState().replay.active) this.store.setState({ prediction: p, predictionState: 'ok' });
    } catch (e) {
      // no prediction stored before `from` (or no model): say so instead of "loading"
      if (!this.destroyed && this.store.getState().replay.active) {
        const unavailable = e instanceof ApiError && (e.code === 'PREDICTION_UNAVAILABLE' || e.status === 404);
        this.store.setState({ predictionState: unavailable ? 'unavailable' : 'error', predictionError: e instanceof Error ? e.message : String(e), retryAfterS: null });
      }
    }
    const cur = this.store.getState();
    const ok = this.socket?.send({ op: 'replay', asset: cur.asset, interval: cur.interval, from: new Date(from).toISOString(), speed: cur.replay.playing ? cur.replay.speed : 0 }) ?? false;
    if (!ok) this.store.setState((st) => ({ replay: { ...st.replay, playing: false, error: 'not connected: replay needs the live connection' } }));
  }

  /** Pause (speed 0) or resume the running replay; the server keeps its position and counts. */
  setPlaying(playing: boolean): void {
    const s = this.store.getState();
    if (!s.replay.active) return;
    this.socket?.send({ op: 'replay', asset: s.asset, speed: playing ? s.replay.speed : 0 });
    this.store.setState({ replay: { ...s.replay, playing } });
  }

  setSpeed(speed: number): void {
    const s = this.store.getState();
    this.store.setState({ replay: { ...s.replay, speed } });
    if (s.replay.active && s.replay.playing) this.socket?.send({ op: 'replay', asset: s.asset, speed });
  }

  step(): void {
    const s = this.store.getState();
    if (!s.replay.active) return;
    if (s.replay.playing) this.setPlaying(false);
    this.socket?.send({ op: 'replay_step' });
  }

  stopReplay(reload = true): void {
    this.socket?.send({ op: 'replay_stop' });
    this.store.setState({ replay: { ...initialReplay, speed: this.store.getState().replay.speed } });
    if (reload) { void this.loadMarket(); void this.loadPrediction(); void this.loadHealth(); }
  }

  private onReplay(m: Extract<ServerMessage, { type: 'replay' }>): void {
    const s = this.store.getState();
    if (!s.replay.active || m.asset !== s.asset) return;
    if (m.bar && s.series) {
      const ms = INTERVAL_MS[s.interval];
      const bar = { ...m.bar, cvd: m.bar.cvd == null ? null : m.bar.cvd + this.replayCvdBase };
      const bucket = Math.floor(bar.t / ms) * ms;
      const pending = this.replayBatcher.peek(bucket) ?? lastBar(s.series);
      // bars come at the chart's interval; a finer bar (older server) folds into its bucket
      this.replayBatcher.push(bucket, foldBar(pending, bar, ms));
    }
    const p = m.predictions?.find((x) => x.horizon_hours === s.horizon);
    const acc = m.accuracy;
    this.store.setState({
      replay: {
        ...s.replay, t: m.t !== undefined ? unixMs(m.t) : s.replay.t, error: null,
        hits: acc ? acc.hits : s.replay.hits,
        total: acc ? acc.total : s.replay.total,
        alerts: m.alerts?.length ? [...s.replay.alerts, ...m.alerts].slice(-REPLAY_ALERTS) : s.replay.alerts,
        playing: m.done ? false : s.replay.playing,
      },
      ...(p ? { prediction: p, predictionState: 'ok' as const } : {}),
      // the model drift score as of the replayed bar (its last 24 h of minutes; null: none)
      ...(m.drift !== undefined ? { modelDrift: { score: m.drift, minutes: m.drift === null ? 0 : 1440 } } : {}),
    });
  }

  // ---- backtest (followed on the WebSocket jobs channel; backtest-job.ts) --------------

  runBacktest(from: UnixMs, to: UnixMs, strategy: Record<string, unknown> = {}): Promise<void> {
    const { asset } = this.store.getState();
    return this.jobs.run({ asset, from: new Date(from).toISOString(), to: new Date(to).toISOString(), strategy });
  }

  /** DELETE /backtest/{id} of the running job. */
  cancelBacktest(): Promise<void> {
    return this.jobs.cancel();
  }
}
