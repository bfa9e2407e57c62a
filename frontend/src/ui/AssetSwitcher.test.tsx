// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { CockpitController } from '../domain/controller';
import { assetInfo } from '../domain/fixtures';
import { createCockpitStore, type CockpitState } from '../domain/store';
import { AssetSwitcher, matchAssets, SEARCH_ABOVE } from './AssetSwitcher';
import { CockpitContext } from './context';

function mount(over: Partial<CockpitState>) {
  const store = createCockpitStore(over);
  const controller = {} as unknown as CockpitController;
  render(<CockpitContext.Provider value={{ store, controller, replayFrom: () => null, setReplayFrom: () => {} }}><AssetSwitcher /></CockpitContext.Provider>);
  return store;
}
const buttons = () => screen.getAllByRole('button').map((b) => b.textContent);
const many = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE', 'AVAX', 'LINK', 'DOT', 'TRX', 'LTC'];

afterEach(cleanup);

describe('AssetSwitcher', () => {
  it('shows the current asset alone until GET /assets answers', () => {
    mount({ asset: 'BTC' });
    expect(buttons()).toEqual(['BTC']);
    expect(screen.queryByRole('searchbox')).toBeNull();
  });
  it('lists every asset of the server (up to eight: buttons, no search) and switches', () => {
    const store = mount({ asset: 'BTC', assets: ['BTC', 'ETH', 'SOL'].map((a) => assetInfo(a)) });
    expect(buttons()).toEqual(['BTC', 'ETH', 'SOL']);
    expect(screen.queryByRole('searchbox')).toBeNull();
    fireEvent.click(screen.getByText('SOL'));
    expect(store.getState().asset).toBe('SOL');
    expect(screen.getByText('SOL').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByText('SOL').title).toContain('sim:spot:SOLUSDT');
  });
  it('past eight assets: a search box filters them, Enter picks the first match', () => {
    const store = mount({ asset: 'LTC', assets: many.map((a) => assetInfo(a)) });
    const box = screen.getByRole('searchbox', { name: 'Search assets' });
    expect(buttons().length).toBe(SEARCH_ABOVE + 1); // eight, and the current one (LTC)
    expect(buttons()[0]).toBe('LTC');
    fireEvent.change(box, { target: { value: 'do' } });
    expect(buttons()).toEqual(['DOGE', 'DOT']);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(store.getState().asset).toBe('DOGE');
    expect((box as HTMLInputElement).value).toBe('');
    fireEvent.change(box, { target: { value: 'zzz' } });
    expect(screen.getByText('no match')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'Escape' });
    expect((box as HTMLInputElement).value).toBe('');
  });
  it('matches any case, in the server\'s order', () => {
    expect(matchAssets(many, 'l')).toEqual(['SOL', 'LINK', 'LTC']);
    expect(matchAssets(many, ' ')).toEqual(many);
  });
});
