import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchEarly, takeEarly } from './early';

const answer = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));

describe('early answers', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('gives an early answer once, for exactly its path', async () => {
    const f = vi.fn(() => answer(200, { t: [1] }));
    fetchEarly('', ['/market-data?asset=BTC'], f as unknown as typeof fetch);
    expect(f).toHaveBeenCalledWith('/market-data?asset=BTC');
    expect(takeEarly('/market-data?asset=ETH')).toBeNull();
    expect(await takeEarly('/market-data?asset=BTC')).toEqual({ t: [1] });
    expect(takeEarly('/market-data?asset=BTC')).toBeNull(); // taken: the next call fetches
  });

  it('leaves errors and failures to the normal path', async () => {
    fetchEarly('', ['/a'], (() => answer(503, { error: {} })) as unknown as typeof fetch);
    fetchEarly('', ['/b'], (() => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch);
    expect(await takeEarly('/a')).toBeNull();
    expect(await takeEarly('/b')).toBeNull();
  });

  it('drops answers nobody took', async () => {
    vi.useFakeTimers();
    fetchEarly('', ['/c'], (() => answer(200, 1)) as unknown as typeof fetch, 1000);
    vi.advanceTimersByTime(1001);
    expect(takeEarly('/c')).toBeNull();
  });
});
