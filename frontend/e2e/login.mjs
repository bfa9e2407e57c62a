// The login screen (auth on): a second `cpe serve` on the e2e store with CPE_JWT_SECRET set
// and a viewer made with `cpe user add` (password on stdin). A wrong password shows the
// server's error under the form; the right one opens the cockpit, whose market data and
// WebSocket carry the token. Screenshots: login-error.png, login-ok.png.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CPE_BIN, launchBrowser, startServer } from './lib.mjs';

export async function loginCheck({ store, env, art, waitFor, state, assert }) {
  const password = 'e2e-' + randomBytes(6).toString('hex');
  execFileSync(CPE_BIN, ['user', 'add', 'e2e-viewer', '--role', 'viewer', '--db', store.db], { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
  const server = await startServer(store.db, { ...env, CPE_SOURCE: 'store', CPE_JWT_SECRET: randomBytes(24).toString('hex') }, store.models);
  const b = await launchBrowser();
  try {
    const p = b.ctx.pages()[0] ?? (await b.ctx.newPage());
    await p.goto(server.url + '/');
    await p.waitForSelector('[data-testid=login]');
    assert(!(await p.$('[data-testid=price-chart]')), 'the cockpit shows before a login');
    await p.fill('input[name=username]', 'e2e-viewer');
    await p.fill('input[name=password]', 'not-the-password');
    await p.click('button[type=submit]');
    const err = await waitFor(async () => (await p.textContent('[data-testid=login-error]').catch(() => null)) || null, { what: 'the login error' });
    assert(/wrong/i.test(err), `a wrong password shows "${err}"`);
    await p.screenshot({ path: join(art, 'login-error.png') });
    await p.fill('input[name=password]', password);
    await p.click('button[type=submit]');
    await p.waitForSelector('[data-testid=price-chart]');
    await waitFor(async () => (await state(p))?.load === 'ok', { what: 'market data with the token', timeout: 20_000 });
    await waitFor(async () => (await p.getAttribute('[data-testid=conn]', 'data-state')) === 'open', { what: 'the WebSocket open with the token' });
    await p.screenshot({ path: join(art, 'login-ok.png') });
  } finally {
    await b.close();
    await server.stop();
  }
}
