/**
 * Every user command the keyboard can trigger, in ONE table. Buttons call the same actions
 * by id (runAction), and the help overlay lists this table, so a shortcut can never drift
 * from what the toolbar does.
 */
import { unixMs } from '../helpers/units';
import { INTERVALS, type Interval } from './api-types';
import type { CockpitController } from './controller';
import { nextAsset, nextHorizon, nextSpeed, type CockpitStore, type Layers } from './store';

export type ControllerPort = Pick<CockpitController, 'startReplay' | 'stopReplay' | 'setPlaying' | 'step' | 'setSpeed' | 'loadPrediction'>;
export interface ActionContext { store: CockpitStore; controller: ControllerPort; replayFrom?: () => number | null }

export interface Action {
  id: string;
  label: string;
  /** KeyboardEvent.key values (case-insensitive for letters). */
  keys: readonly string[];
  run(ctx: ActionContext): void;
}

const interval = (iv: Interval, n: number): Action => ({
  id: `interval.${iv}`, label: `Interval ${iv}`, keys: [String(n)],
  run: ({ store }) => store.setState({ interval: iv }),
});

const layer = (id: keyof Layers, key: string, label: string): Action => ({
  id: `layer.${id}`, label: `Show/hide ${label}`, keys: [key],
  run: ({ store }) => store.setState((s) => ({ layers: { ...s.layers, [id]: !s.layers[id] } })),
});

export const ACTIONS: readonly Action[] = [
  ...INTERVALS.map((iv, i) => interval(iv, i + 1)),
  { id: 'asset.next', label: 'Next asset (of the server\'s list)', keys: ['a'],
    run: ({ store }) => store.setState((s) => ({ asset: nextAsset(s.assets, s.asset) })) },
  { id: 'horizon.next', label: 'Cycle prediction horizon (1h/4h/8h/24h)', keys: ['h'],
    run: ({ store }) => store.setState((s) => ({ horizon: nextHorizon(s.horizon) })) },
  { id: 'theme.toggle', label: 'Dark/light theme', keys: ['t'],
    run: ({ store }) => store.setState((s) => ({ theme: s.theme === 'dark' ? 'light' : 'dark' })) },
  { id: 'replay.toggle', label: 'Start/stop replay from the chosen date', keys: ['r'],
    run: ({ store, controller, replayFrom }) => {
      if (store.getState().replay.active) { controller.stopReplay(); return; }
      const from = replayFrom?.();
      if (from != null) void controller.startReplay(unixMs(from));
    } },
  { id: 'replay.playPause', label: 'Play/pause replay', keys: [' '],
    run: ({ store, controller }) => { const r = store.getState().replay; if (r.active) controller.setPlaying(!r.playing); } },
  { id: 'replay.step', label: 'Step one bar', keys: ['ArrowRight'], run: ({ controller }) => controller.step() },
  { id: 'replay.faster', label: 'Replay faster', keys: ['ArrowUp'],
    run: ({ store, controller }) => controller.setSpeed(nextSpeed(store.getState().replay.speed, 1)) },
  { id: 'replay.slower', label: 'Replay slower', keys: ['ArrowDown'],
    run: ({ store, controller }) => controller.setSpeed(nextSpeed(store.getState().replay.speed, -1)) },
  { id: 'replay.stop', label: 'Leave replay', keys: ['Escape'],
    run: ({ store, controller }) => { if (store.getState().replay.active) controller.stopReplay(); } },
  layer('cone', 'c', 'prediction cone'),
  layer('liquidations', 'l', 'liquidation bands'),
  layer('levels', 's', 'support/resistance'),
  layer('basis', 'b', 'spot-perp basis'),
  layer('volumeProfile', 'v', 'volume profile'),
  layer('hindsight', 'g', 'hindsight entries/exits'),
];

export interface KeyLike { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }

/** The action bound to a key press, or undefined. Modified keys are left to the browser. */
export function actionForKey(e: KeyLike, table: readonly Action[] = ACTIONS): Action | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return table.find((a) => a.keys.includes(k));
}

export function runAction(id: string, ctx: ActionContext, table: readonly Action[] = ACTIONS): boolean {
  const a = table.find((x) => x.id === id);
  if (!a) return false;
  a.run(ctx);
  return true;
}

/** Two actions sharing a key would make one unreachable. */
export function duplicateKeys(table: readonly Action[] = ACTIONS): string[] {
  const seen = new Map<string, string>();
  const dup: string[] = [];
  for (const a of table) for (const k of a.keys) { if (seen.has(k)) dup.push(k); else seen.set(k, a.id); }
  return dup;
}
