/**
 * Login and tokens (docs/API.md, Accounts). When GET /health says `"auth": "on"` the cockpit
 * asks for a user name and password (POST /auth/login), keeps the token pair in
 * sessionStorage (gone with the tab), sends the access token on every request and on the
 * WebSocket (`?token=`), and on a 401 refreshes once (POST /auth/refresh, which rotates the
 * refresh token) and repeats the request. A refused refresh forgets the pair: the next load
 * asks to log in again.
 */
import type { Fetch } from './api';
import { takeEarly } from './early';

export interface Tokens { access_token: string; refresh_token: string; username: string; role: string }
type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
const KEY = 'cpe.tokens';

function read(store: Store | null): Tokens | null {
  try {
    const t = JSON.parse(store?.getItem(KEY) ?? 'null') as Tokens | null;
    return t && typeof t.access_token === 'string' && typeof t.refresh_token === 'string' ? t : null;
  } catch { return null; }
}

function withAuth(init: RequestInit | undefined, token: string | undefined): RequestInit | undefined {
  if (!token) return init;
  const headers = new Headers(init?.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return { ...init, headers };
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const b = (await res.json()) as { error?: { message?: string } };
    if (b.error?.message) return b.error.message;
  } catch { /* not JSON */ }
  return `HTTP ${res.status}`;
}

/** True when the server requires a login (its /health says auth is on). Takes the answer
 * index.html preloads when there is one (domain/early.ts): no round trip before the first render. */
export async function authRequired(base = '', fetchFn: Fetch = (i, init) => fetch(i, init)): Promise<boolean> {
  try {
    const early = base === '' ? await takeEarly('/health') : null;
    if (early) return (early as { auth?: string }).auth === 'on';
    const res = await fetchFn(base + '/health');
    return res.ok && ((await res.json()) as { auth?: string }).auth === 'on';
  } catch { return false; }
}

export class AuthSession {
  private tokens: Tokens | null;
  private refreshing: Promise<boolean> | null = null;

  constructor(
    private readonly base = '',
    private readonly fetchFn: Fetch = (i, init) => fetch(i, init),
    private readonly store: Store | null = typeof sessionStorage === 'undefined' ? null : sessionStorage,
  ) {
    this.tokens = read(store);
  }

  get loggedIn(): boolean { return this.tokens !== null; }
  get username(): string | null { return this.tokens?.username ?? null; }

  /** POST /auth/login; throws an Error with the server's message (e.g. a wrong password). */
  async login(username: string, password: string): Promise<void> {
    const res = await this.fetchFn(this.base + '/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(await errorMessage(res));
    this.save((await res.json()) as Tokens);
  }

  logout(): void { this.save(null); }

  /** fetch with the access token; one refresh and retry on a 401. */
  readonly fetch: Fetch = async (input, init) => {
    const res = await this.fetchFn(input, withAuth(init, this.tokens?.access_token));
    if (res.status !== 401 || !this.tokens) return res;
    if (!(await this.refresh())) return res;
    return this.fetchFn(input, withAuth(init, this.tokens?.access_token));
  };

  /** The WebSocket URL with the access token as the server's handshake accepts it. */
  socketUrl(url: string): string {
    if (!this.tokens) return url;
    return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.tokens.access_token)}`;
  }

  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const rt = this.tokens?.refresh_token;
      const res = rt ? await this.fetchFn(this.base + '/auth/refresh', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: rt }),
      }).catch(() => null) : null;
      this.save(res?.ok ? ((await res.json()) as Tokens) : null);
      return this.tokens !== null;
    })().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private save(t: Tokens | null): void {
    this.tokens = t;
    if (t) this.store?.setItem(KEY, JSON.stringify(t));
    else this.store?.removeItem(KEY);
  }
}
