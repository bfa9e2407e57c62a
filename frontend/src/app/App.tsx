/**
 * The cockpit: creates the store and the controller, binds the keyboard to the action
 * table, lays out the chart with its overlays and panels beside the side panels.
 */
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { actionForKey } from '../domain/actions';
import { Api } from '../domain/api';
import type { AuthSession } from '../domain/auth';
import { CockpitController } from '../domain/controller';
import { createCockpitStore, type CockpitState, type CockpitStore } from '../domain/store';
import { StatusLine } from '../ui/StatusLine';
import { AlertToasts } from '../ui/AlertToasts';
import { CockpitContext, type Cockpit } from '../ui/context';
import { BasisOverlay, LiquidationBands, PredictionConeOverlay, SupportResistance, TradeMarkers, VolumeProfile } from '../ui/overlays';
import { CVDPanel, FundingPanel, LiquidationsPanel, OIPanel } from '../ui/panels';
import { PriceChart } from '../ui/PriceChart';
import { SidePredictionPanel } from '../ui/SidePredictionPanel';
import { ShortcutHelp, Toolbar } from '../ui/Toolbar';
import { useStore } from 'zustand';

const SidePanels = lazy(() => import('../ui/SidePanels'));
/** The side panels' chunk waits for the chart's first frame with data, at most this long. */
const SIDE_PANELS_MAX_WAIT_MS = 3000;

/** True once the chart has drawn its first data (two frames after the load settled) or after
 * SIDE_PANELS_MAX_WAIT_MS: then the secondary panels load (ui/SidePanels.tsx). */
function useAfterFirstFrame(store: CockpitStore): boolean {
  const settled = useStore(store, (s) => s.load === 'ok' || s.load === 'error');
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (ready) return;
    const timer = setTimeout(() => setReady(true), SIDE_PANELS_MAX_WAIT_MS);
    let frame = 0;
    if (settled) frame = requestAnimationFrame(() => { frame = requestAnimationFrame(() => setReady(true)); });
    return () => { clearTimeout(timer); cancelAnimationFrame(frame); };
  }, [settled, ready]);
  return ready;
}

export interface AppProps {
  apiBase?: string; wsUrl?: string | null; windowBars?: number; initial?: Partial<CockpitState>;
  /** With auth on: requests and the WebSocket carry its tokens. */
  auth?: AuthSession;
  /** Called with the store once mounted, null on unmount (test and benchmark hooks). */
  expose?: (store: CockpitStore | null) => void;
}

function defaultWsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}

export function App({ apiBase = '', wsUrl, windowBars, initial, expose, auth }: AppProps) {
  const cockpit = useMemo<Cockpit>(() => {
    const store = createCockpitStore(initial);
    const url = wsUrl === undefined ? defaultWsUrl() : wsUrl;
    const controller = new CockpitController(store, {
      api: auth ? new Api(apiBase, auth.fetch) : new Api(apiBase), socketUrl: url && auth ? auth.socketUrl(url) : url,
      ...(windowBars ? { windowBars } : {}),
    });
    const from = { t: null as number | null };
    return { store, controller, replayFrom: () => from.t, setReplayFrom: (t) => { from.t = t; } };
  }, [apiBase, wsUrl, windowBars, auth]); // eslint-disable-line react-hooks/exhaustive-deps
  const [help, setHelp] = useState(false);
  const theme = useStore(cockpit.store, (s) => s.theme);
  const root = useRef<HTMLDivElement>(null);
  const sideReady = useAfterFirstFrame(cockpit.store);

  useEffect(() => {
    cockpit.controller.start();
    expose?.(cockpit.store);
    return () => { expose?.(null); cockpit.controller.destroy(); };
  }, [cockpit]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      if (e.key === '?') { setHelp((h) => !h); return; }
      const a = actionForKey(e);
      if (!a) return;
      e.preventDefault();
      a.run(cockpit);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [cockpit]);

  return (
    <CockpitContext.Provider value={cockpit}>
      <div className={`cockpit theme-${theme}`} ref={root} data-theme={theme}>
        <Toolbar onHelp={() => setHelp((h) => !h)} />
        <main className="layout">
          <div className="chart-col">
            <PriceChart>
              <PredictionConeOverlay />
              <LiquidationBands />
              <SupportResistance />
              <BasisOverlay />
              <VolumeProfile />
              <TradeMarkers />
              <OIPanel />
              <FundingPanel />
              <CVDPanel />
              <LiquidationsPanel />
            </PriceChart>
            <StatusLine />
          </div>
          <aside className="side-col">
            <SidePredictionPanel />
            {sideReady && <Suspense fallback={null}><SidePanels /></Suspense>}
          </aside>
        </main>
        <AlertToasts />
        {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      </div>
    </CockpitContext.Provider>
  );
}
