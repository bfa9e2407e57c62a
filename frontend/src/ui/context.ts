/** React access to the store, the controller and the chart host. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { CockpitController } from '../domain/controller';
import type { CockpitState, CockpitStore } from '../domain/store';
import type { ChartHost } from '../chart/chart-host';

export interface Cockpit { store: CockpitStore; controller: CockpitController; replayFrom: () => number | null; setReplayFrom: (t: number | null) => void }

export const CockpitContext = createContext<Cockpit | null>(null);
export const ChartContext = createContext<ChartHost | null>(null);

export function useCockpitApi(): Cockpit {
  const c = useContext(CockpitContext);
  if (!c) throw new Error('CockpitContext missing');
  return c;
}

export function useCockpit<T>(sel: (s: CockpitState) => T): T {
  return useStore(useCockpitApi().store, sel);
}

export function useChartHost(): ChartHost {
  const h = useContext(ChartContext);
  if (!h) throw new Error('ChartContext missing');
  return h;
}
