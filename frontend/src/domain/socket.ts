/**
 * The live WebSocket: one connection, a set of standing subscriptions, automatic reconnect.
 *
 * - Reconnect: exponential backoff with jitter (helpers/backoff), reset after a connection
 *   has stayed open; a watchdog closes a socket that has been silent for longer than
 *   `silenceMs` (the server sends a heartbeat every 15 s).
 * - Resubscribe: every standing subscription is sent again on each open.
 * - Gap fill: onReconnected() runs after a re-open so the owner can fetch what it missed.
 * - destroy() closes the socket, cancels timers and never reconnects; it is idempotent.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../helpers/backoff';
import { liveCounters } from '../helpers/counters';
import type { ClientMessage, ServerMessage } from './api-types';

export type ConnStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WebSocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface SocketDeps {
  create(url: string): WebSocketLike;
  setTimer(cb: () => void, ms: number): unknown;
  clearTimer(id: unknown): void;
  rand(): number;
}

export const browserSocketDeps: SocketDeps = {
  create: (url) => new WebSocket(url) as unknown as WebSocketLike,
  setTimer: (cb, ms) => setTimeout(cb, ms),
  clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  rand: Math.random,
};

export interface SocketHandlers {
  onMessage(msg: ServerMessage): void;
  onStatus(status: ConnStatus, nextRetryMs: number | null): void;
  onReconnected(): void;
}

const OPEN = 1;

type Sub = Extract<ClientMessage, { op: 'subscribe' | 'unsubscribe' }>;
const subKey = (m: Sub) => `${m.channel}|${m.asset ?? ''}|${m.interval ?? ''}`;

export class LiveSocket {
  private ws: WebSocketLike | null = null;
  private subs = new Map<string, Sub>();
  private attempt = 0;
  private everOpened = false;
  private retryTimer: unknown = null;
  private watchdog: unknown = null;
  private stableTimer: unknown = null;
  private destroyed = false;

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers,
    private readonly deps: SocketDeps = browserSocketDeps,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly silenceMs = 40_000,
  ) {
    liveCounters.inc('sockets');
    this.connect();
  }

  get attempts(): number {
    return this.attempt;
  }

  subscribe(m: Omit<Sub, 'op'>): void {
    const msg = { ...m, op: 'subscribe' } as Sub;
    this.subs.set(subKey(msg), msg);
    this.send(msg);
  }

  unsubscribe(m: Omit<Sub, 'op'>): void {
    const msg = { ...m, op: 'unsubscribe' } as Sub;
    if (this.subs.delete(subKey(msg))) this.send(msg);
  }

  /** Send now if open; false if not connected (the message is not queued). */
  send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private connect(): void {
    if (this.destroyed) return;
    this.handlers.onStatus(this.everOpened ? 'reconnecting' : 'connecting', null);
    let ws: WebSocketLike;
    try {
      ws = this.deps.create(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      const reopened = this.everOpened;
      this.everOpened = true;
      this.handlers.onStatus('open', null);
      for (const m of this.subs.values()) ws.send(JSON.stringify(m));
      this.armWatchdog();
      // a connection that stays up 5 s resets the backoff
      this.stableTimer = this.deps.setTimer(() => { this.attempt = 0; }, 5_000);
      if (reopened) this.handlers.onReconnected();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.armWatchdog();
      if (typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try { msg = JSON.parse(ev.data) as ServerMessage; } catch { return; }
      if (msg && typeof msg === 'object' && 'type' in msg) this.handlers.onMessage(msg);
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.clearTimers();
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.destroyed) return;
    const delay = backoffDelay(this.attempt, this.backoff, this.deps.rand);
    this.attempt += 1;
    this.handlers.onStatus('reconnecting', delay);
    this.retryTimer = this.deps.setTimer(() => { this.retryTimer = null; this.connect(); }, delay);
  }

  private armWatchdog(): void {
    if (this.watchdog !== null) this.deps.clearTimer(this.watchdog);
    this.watchdog = this.deps.setTimer(() => {
      this.watchdog = null;
      // silent too long: drop it; onclose schedules the reconnect
      const ws = this.ws;
      if (ws) { this.ws = null; detach(ws); ws.close(); this.clearTimers(); this.scheduleRetry(); }
    }, this.silenceMs);
  }

  private clearTimers(): void {
    for (const k of ['watchdog', 'stableTimer', 'retryTimer'] as const) {
      if (this[k] !== null) { this.deps.clearTimer(this[k]); this[k] = null; }
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) { detach(ws); ws.close(); }
    this.subs.clear();
    this.handlers.onStatus('closed', null);
    liveCounters.dec('sockets');
  }
}

function detach(ws: WebSocketLike): void {
  ws.onopen = ws.onclose = ws.onerror = null;
  ws.onmessage = null;
}
