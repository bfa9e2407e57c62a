import { describe, expect, it, vi } from 'vitest';
import { ACTIONS, actionForKey, duplicateKeys, runAction, type ActionContext } from './actions';
import { assetInfo } from './fixtures';
import { createCockpitStore } from './store';

function ctx(): ActionContext & { calls: string[] } {
  const calls: string[] = [];
  const controller = {
    startReplay: vi.fn(async () => { calls.push('start'); }), stopReplay: vi.fn(() => { calls.push('stop'); }),
    setPlaying: vi.fn((p: boolean) => { calls.push(`play:${p}`); }), step: vi.fn(() => { calls.push('step'); }),
    setSpeed: vi.fn((s: number) => { calls.push(`speed:${s}`); }), loadPrediction: vi.fn(async () => {}),
  };
  return { store: createCockpitStore(), controller, replayFrom: () => 1_000, calls };
}

describe('action table', () => {
  it('binds every key once', () => {
    expect(duplicateKeys()).toEqual([]);
    expect(ACTIONS.length).toBeGreaterThan(15);
  });
  it('1..6 pick the intervals', () => {
    const c = ctx();
    actionForKey({ key: '5' })!.run(c);
    expect(c.store.getState().interval).toBe('4h');
    actionForKey({ key: '1' })!.run(c);
    expect(c.store.getState().interval).toBe('1m');
  });
  it('H cycles the horizon through 1, 4, 8, 24', () => {
    const c = ctx();
    const seen = [];
    for (let i = 0; i < 4; i++) { actionForKey({ key: 'H' })!.run(c); seen.push(c.store.getState().horizon); }
    expect(seen).toEqual([8, 24, 1, 4]);
  });
  it('T toggles the theme, A the asset, letters toggle layers', () => {
    const c = ctx();
    actionForKey({ key: 't' })!.run(c);
    expect(c.store.getState().theme).toBe('light');
    actionForKey({ key: 'a' })!.run(c); // the server's list is not known yet: stays
    expect(c.store.getState().asset).toBe('BTC');
    c.store.setState({ assets: ['BTC', 'ETH', 'SOL'].map((a) => assetInfo(a)) });
    const seen = [];
    for (let i = 0; i < 3; i++) { actionForKey({ key: 'a' })!.run(c); seen.push(c.store.getState().asset); }
    expect(seen).toEqual(['ETH', 'SOL', 'BTC']);
    actionForKey({ key: 'l' })!.run(c);
    expect(c.store.getState().layers.liquidations).toBe(false);
  });
  it('modified keys are left to the browser', () => {
    expect(actionForKey({ key: 'r', ctrlKey: true })).toBeUndefined();
    expect(actionForKey({ key: 'q' })).toBeUndefined();
  });
  it('R starts a replay from the chosen date, then stops it; space and arrows drive it', () => {
    const c = ctx();
    actionForKey({ key: ' ' })!.run(c); // no replay: nothing
    actionForKey({ key: 'r' })!.run(c);
    expect(c.calls).toEqual(['start']);
    c.store.setState({ replay: { ...c.store.getState().replay, active: true, playing: true, speed: 20 } });
    actionForKey({ key: ' ' })!.run(c);
    actionForKey({ key: 'ArrowRight' })!.run(c);
    actionForKey({ key: 'ArrowUp' })!.run(c);
    actionForKey({ key: 'ArrowDown' })!.run(c);
    actionForKey({ key: 'r' })!.run(c);
    expect(c.calls).toEqual(['start', 'play:false', 'step', 'speed:60', 'speed:5', 'stop']);
  });
  it('runAction finds actions by id', () => {
    const c = ctx();
    expect(runAction('interval.1h', c)).toBe(true);
    expect(c.store.getState().interval).toBe('1h');
    expect(runAction('nope', c)).toBe(false);
  });
});
