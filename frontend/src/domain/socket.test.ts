import { describe, expect, it } from 'vitest';
import { liveCounters } from '../helpers/counters';
import { LiveSocket, type ConnStatus, type SocketDeps, type WebSocketLike } from './socket';

class FakeWs implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(d: string) { this.sent.push(d); }
  close() { this.closed = true; this.readyState = 3; }
  open() { this.readyState = 1; this.onopen?.({}); }
  drop() { this.readyState = 3; this.onclose?.({}); }
  msg(o: unknown) { this.onmessage?.({ data: JSON.stringify(o) }); }
}

function harness() {
  const sockets: FakeWs[] = [];
  let now = 0;
  const timers: { at: number; cb: () => void; id: number }[] = [];
  let nextId = 1;
  const deps: SocketDeps = {
    create: () => { const w = new FakeWs(); sockets.push(w); return w; },
    setTimer: (cb, ms) => { const id = nextId++; timers.push({ at: now + ms, cb, id }); return id; },
    clearTimer: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
    rand: () => 0,
  };
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > now) break;
      timers.shift();
      t.cb();
    }
  };
  return { sockets, deps, advance, timers };
}

function make(h: ReturnType<typeof harness>) {
  const statuses: [ConnStatus, number | null][] = [];
  const messages: unknown[] = [];
  let reconnects = 0;
  const s = new LiveSocket('ws://x/ws', {
    onMessage: (m) => messages.push(m), onStatus: (st, ms) => statuses.push([st, ms]), onReconnected: () => { reconnects += 1; },
  }, h.deps, { baseMs: 100, maxMs: 1000, jitter: 0.5 }, 40_000);
  return { s, statuses, messages, reconnects: () => reconnects };
}

describe('LiveSocket', () => {
  it('sends subscriptions once open and resubscribes after a reconnect', () => {
    const h = harness();
    const { s, reconnects } = make(h);
    s.subscribe({ channel: 'candles', asset: 'BTC', interval: '1m' });
    expect(h.sockets[0]!.sent).toEqual([]); // not open yet: not sent, but remembered
    h.sockets[0]!.open();
    expect(h.sockets[0]!.sent.map((x) => JSON.parse(x).op)).toEqual(['subscribe']);
    h.sockets[0]!.drop();
    h.advance(100);
    expect(h.sockets.length).toBe(2);
    h.sockets[1]!.open();
    expect(JSON.parse(h.sockets[1]!.sent[0]!)).toEqual({ channel: 'candles', asset: 'BTC', interval: '1m', op: 'subscribe' });
    expect(reconnects()).toBe(1); // gap fill hook
    s.destroy();
  });
  it('backs off exponentially up to the cap while the server stays away', () => {
    const h = harness();
    const { s, statuses } = make(h);
    for (let i = 0; i < 6; i++) { h.sockets[i]!.drop(); h.advance(2000); }
    const delays = statuses.filter(([st, ms]) => st === 'reconnecting' && ms !== null).map(([, ms]) => ms);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    s.destroy();
  });
  it('resets the backoff after a connection stays up', () => {
    const h = harness();
    const { s, statuses } = make(h);
    h.sockets[0]!.drop(); h.advance(100);
    h.sockets[1]!.drop(); h.advance(200);
    h.sockets[2]!.open(); h.advance(6000);
    h.sockets[2]!.drop();
    const last = statuses[statuses.length - 1]!;
    expect(last).toEqual(['reconnecting', 100]);
    s.destroy();
  });
  it('a silent connection is dropped by the watchdog and reconnected', () => {
    const h = harness();
    const { s } = make(h);
    h.sockets[0]!.open();
    h.advance(30_000);
    h.sockets[0]!.msg({ type: 'heartbeat', t: 1 });
    h.advance(30_000);
    expect(h.sockets[0]!.closed).toBe(false);
    h.advance(11_000);
    expect(h.sockets[0]!.closed).toBe(true);
    h.advance(100);
    expect(h.sockets.length).toBe(2);
    s.destroy();
  });
  it('parses messages and ignores garbage', () => {
    const h = harness();
    const { s, messages } = make(h);
    h.sockets[0]!.open();
    h.sockets[0]!.onmessage?.({ data: 'not json' });
    h.sockets[0]!.msg({ type: 'heartbeat', t: 5 });
    expect(messages).toEqual([{ type: 'heartbeat', t: 5 }]);
    s.destroy();
  });
  it('destroy closes, cancels timers, never reconnects and balances the counter', () => {
    const before = liveCounters.snapshot().sockets;
    const h = harness();
    const { s, statuses } = make(h);
    expect(liveCounters.snapshot().sockets).toBe(before + 1);
    h.sockets[0]!.open();
    s.destroy();
    s.destroy();
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.timers.length).toBe(0);
    h.advance(100_000);
    expect(h.sockets.length).toBe(1);
    expect(statuses[statuses.length - 1]![0]).toBe('closed');
    expect(liveCounters.snapshot().sockets).toBe(before);
  });
  it('unsubscribe forgets the subscription', () => {
    const h = harness();
    const { s } = make(h);
    h.sockets[0]!.open();
    s.subscribe({ channel: 'candles', asset: 'BTC', interval: '1m' });
    s.unsubscribe({ channel: 'candles', asset: 'BTC', interval: '1m' });
    h.sockets[0]!.drop(); h.advance(100); h.sockets[1]!.open();
    expect(h.sockets[1]!.sent).toEqual([]);
    s.destroy();
  });
});
