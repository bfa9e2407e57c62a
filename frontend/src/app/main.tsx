/**
 * Entry point. Query parameters: ?bars=N (live window, default 5000), ?theme=light.
 * window.__cpe exposes mount/unmount and the live-object counters for the end-to-end
 * leak test and the benchmarks.
 */
import { createRoot, type Root } from 'react-dom/client';
import { liveCounters } from '../helpers/counters';
import type { CockpitStore } from '../domain/store';
import { App } from './App';
import { AuthSession, authRequired } from '../domain/auth';
import { fetchEarly } from '../domain/early';
import { LoginScreen } from '../ui/LoginScreen';
import './styles.css';

const q = new URLSearchParams(window.location.search);
const bars = Number(q.get('bars')) || undefined;
const theme = q.get('theme') === 'light' ? 'light' : 'dark';
// the answers that index.html preloads, parsed while React starts: /health (auth on or off)
// always, the default view's data unless ?bars asks for another window
{
  const preloaded = [...document.querySelectorAll<HTMLLinkElement>('link[rel=preload][as=fetch]')].map((l) => { const u = new URL(l.href); return u.pathname + u.search; });
  fetchEarly('', bars ? preloaded.filter((p) => p === '/health') : preloaded);
}
const el = document.getElementById('root')!;
let root: Root | null = null;
let store: CockpitStore | null = null;
let auth: AuthSession | undefined;

function mount(): void {
  if (root) return;
  root = createRoot(el);
  root.render(<App {...(bars ? { windowBars: bars } : {})} {...(auth ? { auth } : {})} initial={{ theme }} expose={(s) => { store = s; }} />);
}

/** With auth on and no session: the login form first, then the cockpit. */
async function start(): Promise<void> {
  if (!(await authRequired())) { mount(); return; }
  const session = new AuthSession();
  auth = session;
  if (session.loggedIn) { mount(); return; }
  const login = createRoot(el);
  login.render(<LoginScreen onLogin={async (u, p) => { await session.login(u, p); login.unmount(); mount(); }} />);
}
function unmount(): void {
  root?.unmount();
  root = null;
}

declare global {
  interface Window {
    __cpe?: { mount(): void; unmount(): void; counters(): Record<string, number>; state(): Record<string, unknown> | null; store(): CockpitStore | null };
  }
}

/** A small, JSON-safe view of the state for tests. */
function state(): Record<string, unknown> | null {
  const s = store?.getState();
  if (!s) return null;
  const n = s.series?.t.length ?? 0;
  return {
    conn: s.conn, load: s.load, bars: n, lastT: n ? s.series!.t[n - 1] : null, lastClose: n ? s.series!.close[n - 1] : null,
    liveTicks: s.liveTicks, horizon: s.horizon, interval: s.interval, asset: s.asset, theme: s.theme,
    predictionState: s.predictionState, predictionT: s.prediction?.t_ms ?? null, coneSteps: s.prediction?.cone.length ?? 0,
    replay: s.replay, backtest: { status: s.backtest.status, jobId: s.backtest.jobId, error: s.backtest.error, equity: s.backtest.view?.equity.length ?? 0, progress: s.backtest.progress ?? null },
    runs: { total: s.runs.total, picked: s.runs.picked, compared: s.runs.picked.map((id) => ({ id, equity: s.runs.compared[id]?.view.equity.length ?? 0, trades: s.runs.compared[id]?.view.trades.length ?? 0 })) },
  };
}
window.__cpe = { mount, unmount, counters: () => liveCounters.snapshot(), state, store: () => store };
void start();
