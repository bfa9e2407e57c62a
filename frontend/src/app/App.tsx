/**
 * The cockpit: creates the store and the controller, binds the keyboard to the action
 * table, lays out the chart with its overlays and panels beside the side panels.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { actionForKey } from '../domain/actions';
import { Api } from '../domain/api';
import type { AuthSession } from '../domain/auth';
import { CockpitController } from '../domain/controller';
import { createCockpitStore, type CockpitState, type CockpitStore } from '../domain/store';
import { AIExplanationPanel } from '../ui/AIExplanationPanel';
import { AlertsPanel, AlertToasts } from '../ui/AlertsPanel';
import { StatusLine } from '../ui/StatusLine';
import { BacktestTimeline } from '../ui/BacktestTimeline';
import { CalibrationPanel } from '../ui/CalibrationPanel';
import { CockpitContext, type Cockpit } from '../ui/context';
import { FlowPanel } from '../ui/FlowPanel';
import { BasisOverlay, LiquidationBands, PredictionConeOverlay, SupportResistance, TradeMarkers, VolumeProfile } from '../ui/overlays';
import { CVDPanel, FundingPanel, LiquidationsPanel, OIPanel } from '../ui/panels';
import { PriceChart } from '../ui/PriceChart';
import { SidePredictionPanel } from '../ui/SidePredictionPanel';
import { ShortcutHelp, Toolbar } from '../ui/Toolbar';
import { useStore } from 'zustand';

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
            <CalibrationPanel />
            <AIExplanationPanel />
            <FlowPanel />
            <AlertsPanel />
            <BacktestTimeline />
          </aside>
        </main>
        <AlertToasts />
        {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      </div>
    </CockpitContext.Provider>
  );
}
