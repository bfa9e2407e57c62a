import { describe, expect, it } from 'vitest';
import { AuthSession, authRequired } from './auth';
import { fetchEarly } from './early';

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => { m.set(k, v); }, removeItem: (k: string) => { m.delete(k); } };
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const pair = (n: number) => ({ access_token: `a${n}`, refresh_token: `r${n}`, username: 'u', role: 'viewer' });

describe('AuthSession', () => {
  it('logs in, sends the token, refreshes once on a 401 and repeats the request', async () => {
    const seen: string[] = [];
    const fake = async (url: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('Authorization') ?? '-';
      seen.push(`${url} ${auth}`);
      if (url === '/auth/login') return json(200, pair(1));
      if (url === '/auth/refresh') return json(200, pair(2));
      return auth === 'Bearer a2' ? json(200, { ok: true }) : json(401, { error: { message: 'token expired' } });
    };
    const s = new AuthSession('', fake, memory());
    await s.login('u', 'pw');
    const res = await s.fetch('/assets');
    expect(res.status).toBe(200);
    expect(seen).toEqual(['/auth/login -', '/assets Bearer a1', '/auth/refresh -', '/assets Bearer a2']);
    expect(s.socketUrl('ws://h/ws')).toBe('ws://h/ws?token=a2');
  });

  it('a refused refresh forgets the session; a wrong password throws the server message', async () => {
    const store = memory();
    const fake = async (url: string) =>
      url === '/auth/login' ? json(401, { error: { message: 'user name or password is wrong' } }) : json(401, { error: { message: 'no' } });
    store.setItem('cpe.tokens', JSON.stringify(pair(1)));
    const s = new AuthSession('', fake, store);
    expect(s.loggedIn).toBe(true);
    expect((await s.fetch('/assets')).status).toBe(401);
    expect(s.loggedIn).toBe(false);
    expect(store.getItem('cpe.tokens')).toBeNull();
    await expect(s.login('u', 'bad')).rejects.toThrow('user name or password is wrong');
  });

  it('authRequired takes the preloaded /health answer without a request of its own', async () => {
    fetchEarly('', ['/health'], (async () => json(200, { auth: 'on' })) as typeof fetch);
    let asked = 0;
    expect(await authRequired('', async () => { asked++; return json(200, { auth: 'off' }); })).toBe(true);
    expect(asked).toBe(0);
    // taken once: the next call asks the server
    expect(await authRequired('', async () => { asked++; return json(200, { auth: 'off' }); })).toBe(false);
    expect(asked).toBe(1);
  });

  it('authRequired asks the server when the preloaded answer failed', async () => {
    fetchEarly('', ['/health'], (async () => json(503, {})) as typeof fetch);
    expect(await authRequired('', async () => json(200, { auth: 'on' }))).toBe(true);
  });

  it('authRequired reads /health', async () => {
    expect(await authRequired('', async () => json(200, { auth: 'on' }))).toBe(true);
    expect(await authRequired('', async () => json(200, { auth: 'off' }))).toBe(false);
    expect(await authRequired('', async () => { throw new Error('down'); })).toBe(false);
  });
});
