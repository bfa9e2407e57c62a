import { describe, expect, it } from 'vitest';
import type { Api } from './api';
import { comparedRuns, loadRuns, runsOfSymbol, togglePick, type RunDetail } from './runs';
import { createCockpitStore } from './store';

const run = (id: string, created: number): RunDetail => ({
  id, created_ms: created, instrument: 'sim:spot:BTCUSDT', from_ms: 0, to_ms: 3_600_000, data_version: 'd', model_version: 'm',
  strategy: { commission_bps: 4 }, metrics: { total_return: created / 1000 },
  result: { equity: { t: [0, 60_000, 120_000], v: [100, 101, 99] }, trades: [{ side: 'long', entry_t_ms: 60_000, exit_t_ms: 120_000, pnl: -1 }], hindsight: { points: [] } },
});
function fakeApi(runs: RunDetail[]) {
  const reads: string[] = [];
  const api = {
    backtests: async () => ({ runs: runs.map(({ result: _r, ...s }) => s), total: runs.length, offset: 0, limit: 20 }),
    savedBacktest: async (id: string) => { reads.push(id); const r = runs.find((x) => x.id === id); if (!r) throw new Error(`no saved run '${id}'`); return r; },
  } as unknown as Api;
  return { api, reads };
}

describe('saved runs', () => {
  it('lists the runs and compares at most two, dropping the oldest pick', async () => {
    const store = createCockpitStore();
    const { api, reads } = fakeApi([run('c', 3000), run('b', 2000), run('a', 1000)]);
    await loadRuns(api, store);
    expect(store.getState().runs.list.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    await togglePick(api, store, 'c');
    await togglePick(api, store, 'b');
    expect(comparedRuns(store.getState().runs).map((r) => r.summary.id)).toEqual(['c', 'b']);
    expect(comparedRuns(store.getState().runs)[0]!.view.trades).toHaveLength(1);
    await togglePick(api, store, 'a');
    expect(store.getState().runs.picked).toEqual(['b', 'a']);
    await togglePick(api, store, 'c'); // read once: its result is kept
    expect(reads).toEqual(['c', 'b', 'a']);
    await togglePick(api, store, 'c'); // picked again: dropped
    expect(store.getState().runs.picked).toEqual(['a']);
  });
  it('only the runs of the chart\'s symbol are marked on it', async () => {
    const store = createCockpitStore();
    const eth = { ...run('e', 4000), instrument: 'binance:spot:ETHUSDT' };
    const { api } = fakeApi([run('c', 3000), eth]);
    await togglePick(api, store, 'c');
    await togglePick(api, store, 'e');
    const all = comparedRuns(store.getState().runs);
    expect(runsOfSymbol(all, 'BTCUSDT').map((r) => r.summary.id)).toEqual(['c']);
    expect(runsOfSymbol(all, 'ETHUSDT').map((r) => r.summary.id)).toEqual(['e']);
    expect(runsOfSymbol(all, null)).toEqual([]);
  });
  it('an unknown run is not picked and its error is shown', async () => {
    const store = createCockpitStore();
    const { api } = fakeApi([]);
    await togglePick(api, store, 'x');
    expect(store.getState().runs.picked).toEqual([]);
    expect(store.getState().runs.error).toBe("no saved run 'x'");
  });
});
