import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CallerAuth, type CallCredentials } from './caller-auth.js';
import { parseServiceIdentities } from './service-identities.js';

const LEGACY = 'legacy-token-0123456789';
const env = { SERVICE_TOKEN_CONSOLE: 'console-token-0123456789', SERVICE_TOKEN_RUNTIME: 'runtime-token-0123456789' };
const ORG_TOKEN = `sbt_${'a'.repeat(43)}`;
const identities = (clientCertificates = false) =>
  parseServiceIdentities('console:*;runtime:Invoke', { knownMethods: ['Invoke', 'Test'], env, clientCertificates });
/** What an org token store answers: this one token belongs to org-a. */
const verifyOrgToken = (token: string) => Promise.resolve(token === ORG_TOKEN ? { orgId: 'org-a', tokenId: '0123456789abcdef' } : undefined);

function call(token?: string, cn?: string): CallCredentials {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return { metadata, getAuthContext: () => (cn === undefined ? {} : { sslPeerCertificate: { subject: { CN: cn } } }) };
}

async function who(auth: CallerAuth, c: CallCredentials): Promise<string> {
  try {
    const caller = await auth.authenticate(c);
    return caller.kind === 'service' ? `service:${caller.identity.name}` : caller.kind === 'org' ? `org:${caller.orgId}` : caller.kind;
  } catch (err) {
    return (err as { reason: string }).reason;
  }
}

function verdict(auth: CallerAuth, caller: Awaited<ReturnType<CallerAuth['authenticate']>>, method: string, orgId: string): string {
  try {
    auth.authorize(caller, method, orgId);
    return 'allowed';
  } catch (err) {
    return (err as { reason: string }).reason;
  }
}

describe('CallerAuth', () => {
  it('with nothing configured, lets anonymous calls through but still checks a credential that is presented', async () => {
    const auth = new CallerAuth({ verifyOrgToken });
    expect(auth.authenticates).toBe(false);
    expect(await who(auth, call())).toBe('anonymous');
    expect(await who(auth, call('made-up-token-0123456789'))).toBe('SERVICE_NOT_AUTHORISED');
    expect(await who(auth, call(ORG_TOKEN))).toBe('org:org-a');
  });

  it('tells identities, the legacy token and org tokens apart, and refuses everything else', async () => {
    const auth = new CallerAuth({ legacyToken: LEGACY, identities: identities(), verifyOrgToken });
    expect(auth.authenticates).toBe(true);
    expect(await who(auth, call(LEGACY))).toBe('legacy');
    expect(await who(auth, call(env.SERVICE_TOKEN_CONSOLE))).toBe('service:console');
    expect(await who(auth, call(env.SERVICE_TOKEN_RUNTIME))).toBe('service:runtime');
    expect(await who(auth, call(ORG_TOKEN))).toBe('org:org-a');
    for (const wrong of [undefined, '', `${LEGACY}x`, `sbt_${'b'.repeat(43)}`, 'sbt_short']) {
      expect(await who(auth, call(wrong)), String(wrong)).toBe('SERVICE_NOT_AUTHORISED');
    }
    const basic = new Metadata();
    basic.set('authorization', `Basic ${Buffer.from(`x:${LEGACY}`).toString('base64')}`);
    expect(await who(auth, { metadata: basic })).toBe('SERVICE_NOT_AUTHORISED');
  });

  it('holds each identity to its allow-list and each org token to its org', async () => {
    const auth = new CallerAuth({ legacyToken: LEGACY, identities: identities(), verifyOrgToken });
    const runtime = await auth.authenticate(call(env.SERVICE_TOKEN_RUNTIME));
    const console = await auth.authenticate(call(env.SERVICE_TOKEN_CONSOLE));
    const org = await auth.authenticate(call(ORG_TOKEN));
    const legacy = await auth.authenticate(call(LEGACY));
    expect(verdict(auth, runtime, 'Invoke', 'org-b')).toBe('allowed');
    expect(verdict(auth, runtime, 'Test', 'org-a')).toBe('METHOD_NOT_PERMITTED');
    expect(verdict(auth, console, 'Test', 'org-b')).toBe('allowed');
    expect(verdict(auth, org, 'Test', 'org-a')).toBe('allowed');
    expect(verdict(auth, org, 'Test', 'org-b')).toBe('ORG_NOT_PERMITTED');
    expect(verdict(auth, org, 'Test', 'org-a-')).toBe('ORG_NOT_PERMITTED');
    expect(verdict(auth, legacy, 'Test', 'org-b')).toBe('allowed');
  });

  it('under mutual TLS names identities by certificate CN; without identities a certificate keeps its old full access', async () => {
    const withIds = new CallerAuth({ identities: identities(true), clientCertificates: true, verifyOrgToken });
    expect(await who(withIds, call(undefined, 'runtime'))).toBe('service:runtime');
    expect(await who(withIds, call(undefined, 'someone-else'))).toBe('SERVICE_NOT_AUTHORISED');
    expect(await who(withIds, call(env.SERVICE_TOKEN_CONSOLE, 'runtime'))).toBe('service:console');
    const plainMtls = new CallerAuth({ clientCertificates: true, verifyOrgToken });
    expect(plainMtls.authenticates).toBe(true);
    expect(await who(plainMtls, call(undefined, 'anyone'))).toBe('legacy');
    const mtlsAndToken = new CallerAuth({ legacyToken: LEGACY, clientCertificates: true, verifyOrgToken });
    expect(await who(mtlsAndToken, call(undefined, 'anyone'))).toBe('SERVICE_NOT_AUTHORISED');
  });

  it('knows an identity by either of its tokens while one is rotated', async () => {
    const rotating = parseServiceIdentities('console:*', {
      knownMethods: ['Invoke'],
      env: { SERVICE_TOKEN_CONSOLE: `new-${env.SERVICE_TOKEN_CONSOLE},${env.SERVICE_TOKEN_CONSOLE}` },
      clientCertificates: false,
    });
    const auth = new CallerAuth({ identities: rotating });
    expect(await who(auth, call(`new-${env.SERVICE_TOKEN_CONSOLE}`))).toBe('service:console');
    expect(await who(auth, call(env.SERVICE_TOKEN_CONSOLE))).toBe('service:console');
    expect(await who(auth, call(`${env.SERVICE_TOKEN_CONSOLE},x`))).toBe('SERVICE_NOT_AUTHORISED');
  });

  it('refuses an identity token equal to the full-access SERVICE_TOKEN', () => {
    expect(() => new CallerAuth({ legacyToken: env.SERVICE_TOKEN_RUNTIME, identities: identities() })).toThrow(/must differ from SERVICE_TOKEN/);
  });
});
