/**
 * Entry point. Query parameters: ?bars=N (live window, default 5000), ?theme=light.
 * window.__cpe exposes mount/unmount and the live-object counters for the end-to-end
 * leak test and the benchmarks.
 */
import { createRoot, type Root } from 'react-dom/client';
import { liveCounters } from '../helpers/counters';
import { App } from './App';
import './styles.css';

const q = new URLSearchParams(window.location.search);
const bars = Number(q.get('bars')) || undefined;
const theme = q.get('theme') === 'light' ? 'light' : 'dark';
const el = document.getElementById('root')!;
let root: Root | null = null;

function mount(): void {
  if (root) return;
  root = createRoot(el);
  root.render(<App {...(bars ? { windowBars: bars } : {})} initial={{ theme }} />);
}
function unmount(): void {
  root?.unmount();
  root = null;
}

declare global {
  interface Window { __cpe?: { mount(): void; unmount(): void; counters(): Record<string, number> } }
}
window.__cpe = { mount, unmount, counters: () => liveCounters.snapshot() };
mount();
