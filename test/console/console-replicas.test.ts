import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleHarness, type ConsoleHarness, type ConsoleProcess } from './console-harness.js';
import { ApiSession, lookupYaml } from './console-fixtures.js';

/** The same browser (cookie and CSRF token) talking to another console process. */
function sameBrowserOn(url: string, signedIn: ApiSession): ApiSession {
  const s = new ApiSession(url);
  s.cookie = signedIn.cookie;
  s.csrf = signedIn.csrf;
  return s;
}

describe('console sessions shared by every console replica', () => {
  let h: ConsoleHarness;
  let b: ConsoleProcess;
  let orgId: string;

  beforeAll(async () => {
    // Recheck the token on every request, so revocation and its KV write are exercised across replicas.
    h = await startConsoleHarness({ consoleEnv: { CONSOLE_TOKEN_RECHECK_MS: '1' } });
    b = await h.startConsole();
    orgId = h.stack.orgId;
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('serves a session signed in on one replica from another, and a sign-out on either ends it on both', async () => {
    const onA = new ApiSession(h.url);
    expect((await onA.signIn(await h.tokenFor(orgId))).status).toBe(201);
    const onB = sameBrowserOn(b.url, onA);

    const session = await onB.request('GET', '/api/session');
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ orgId, csrfToken: onA.csrf });

    const write = await onB.request('POST', '/api/integrations', { text: lookupYaml(h.upstream, 'made_on_b') }, { origin: b.url });
    expect(write.status).toBe(201);
    expect((await h.stack.client(orgId).get('made_on_b')).integration!.key).toBe('made_on_b');
    const forged = await onB.request('POST', '/api/integrations', { text: lookupYaml(h.upstream, 'forged_on_b') }, { origin: b.url, 'x-csrf-token': 'forged' });
    expect(forged.status).toBe(403);
    expect((await onA.request('GET', '/api/integrations/made_on_b')).status).toBe(200);

    expect((await onB.request('DELETE', '/api/session', undefined, { origin: b.url })).status).toBe(204);
    expect((await onA.request('GET', '/api/session')).status).toBe(401);
    expect((await onA.request('GET', '/api/integrations')).status).toBe(401);
    expect((await onB.request('GET', '/api/session')).status).toBe(401);
  });

  it('ends a session on every replica when its token is revoked', async () => {
    const created = await h.tokens.create(orgId, 'to-revoke');
    const onA = new ApiSession(h.url);
    expect((await onA.signIn(created.token)).status).toBe(201);
    const onB = sameBrowserOn(b.url, onA);
    expect((await onB.request('GET', '/api/integrations')).status).toBe(200);
    expect(await h.tokens.revoke(orgId, created.info.tokenId)).toBe(true);
    expect((await onB.request('GET', '/api/integrations')).status).toBe(401);
    expect((await onA.request('GET', '/api/integrations')).status).toBe(401);
  });

  it('keeps sessions across a console restart', async () => {
    const before = new ApiSession(h.url);
    expect((await before.signIn(await h.tokenFor(orgId))).status).toBe(201);
    await h.console.stop();

    const restarted = await h.startConsole();
    const after = sameBrowserOn(restarted.url, before);
    const session = await after.request('GET', '/api/session');
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ orgId, csrfToken: before.csrf });
    const write = await after.request('POST', '/api/integrations', { text: lookupYaml(h.upstream, 'after_restart') }, { origin: restarted.url });
    expect(write.status).toBe(201);
    expect((await h.stack.client(orgId).get('after_restart')).integration!.key).toBe('after_restart');
  });
});
