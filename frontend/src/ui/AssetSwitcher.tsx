/** The asset switcher: the server's configured assets (GET /assets) as buttons; past eight,
 * a search box filters them (Enter picks the first match, Escape clears). */
import { useState } from 'react';
import type { Asset, AssetInfo } from '../domain/api-types';
import { useCockpit, useCockpitApi } from './context';

/** More assets than this: a search box, and at most this many buttons at once. */
export const SEARCH_ABOVE = 8;

/** The assets whose name contains the query (any case), in the server's order. */
export function matchAssets(names: readonly Asset[], query: string): Asset[] {
  const q = query.trim().toUpperCase();
  return q ? names.filter((n) => n.toUpperCase().includes(q)) : [...names];
}

function describe(a: AssetInfo | undefined): string {
  if (!a) return '';
  const data = a.serving ? `${a.serving}${a.newest_bar ? `, newest bar ${a.newest_bar}` : ''}` : 'no data yet';
  return `${a.symbol}: ${data}; model ${a.model.champion ?? 'none yet'}`;
}

export function AssetSwitcher() {
  const { store } = useCockpitApi();
  const asset = useCockpit((s) => s.asset);
  const assets = useCockpit((s) => s.assets);
  const [query, setQuery] = useState('');
  const names = assets.length ? assets.map((a) => a.asset) : [asset];
  const search = names.length > SEARCH_ABOVE;
  const matches = search ? matchAssets(names, query) : names;
  const shown = search ? matches.slice(0, SEARCH_ABOVE) : names;
  if (search && !shown.includes(asset) && !query) shown.unshift(asset); // the current one stays visible
  const pick = (a: Asset) => { store.setState({ asset: a }); setQuery(''); };
  return (
    <div className="seg assets" role="group" aria-label="Asset">
      {search && (
        <input type="search" className="asset-search" aria-label="Search assets" placeholder={`${names.length} assets…`}
          value={query} onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && matches[0]) pick(matches[0]);
            else if (e.key === 'Escape') setQuery('');
          }} />
      )}
      {shown.map((a) => (
        <button key={a} aria-pressed={a === asset} title={describe(assets.find((x) => x.asset === a))} onClick={() => pick(a)}>{a}</button>
      ))}
      {search && matches.length === 0 && <span className="muted">no match</span>}
    </div>
  );
}
