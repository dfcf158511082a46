import { describe, expect, it } from 'vitest';
import { serverBase, urlTemplate } from './server-url.js';

describe('serverBase', () => {
  it('substitutes server variables with their defaults', () => {
    const base = serverBase([{ url: 'https://{tenant}.pms.example.com:{port}/api/{version}/', variables: { tenant: { default: 'smile' }, port: { default: '8443' }, version: { default: 'v2', enum: ['v1', 'v2'] } } }], undefined, undefined);
    expect(base).toMatchObject({ ok: true, url: 'https://smile.pms.example.com:8443/api/v2' });
    expect(base.ok && base.notes).toEqual(['server variable {version} is set to its default "v2" (also allowed: v1)']);
  });

  it('resolves a relative server URL against the URL the document came from', () => {
    const from = new URL('http://127.0.0.1:4010/docs/openapi.yaml');
    expect(serverBase([{ url: '/pms/v2' }], from, undefined)).toMatchObject({ ok: true, url: 'http://127.0.0.1:4010/pms/v2' });
    expect(serverBase([{ url: 'v2' }], from, undefined)).toMatchObject({ ok: true, url: 'http://127.0.0.1:4010/docs/v2' });
    // No servers: OpenAPI's default is "/".
    expect(serverBase(undefined, from, undefined)).toMatchObject({ ok: true, url: 'http://127.0.0.1:4010' });
  });

  it('cannot resolve a relative server URL of a file, and says what to pass', () => {
    const base = serverBase([{ url: '/pms/v2' }], undefined, undefined);
    expect(base.ok).toBe(false);
    expect(!base.ok && base.why).toContain('--server');
  });

  it('uses the first of several servers and names the others', () => {
    const base = serverBase([{ url: 'https://a.example.com' }, { url: 'https://b.example.com' }], undefined, undefined);
    expect(base).toMatchObject({ ok: true, url: 'https://a.example.com' });
    expect(base.ok && base.notes[0]).toContain('https://b.example.com');
  });

  it('prefers an explicit server URL and refuses a bad one', () => {
    expect(serverBase([{ url: 'https://a.example.com' }], undefined, 'http://127.0.0.1:9/x/')).toMatchObject({ ok: true, url: 'http://127.0.0.1:9/x', notes: [] });
    expect(serverBase([], undefined, 'ftp://files.example.com').ok).toBe(false);
    expect(serverBase([], undefined, 'https://user:pw@a.example.com').ok).toBe(false);
    expect(serverBase([{ url: 'https://{host}/v1' }], undefined, undefined)).toMatchObject({ ok: false, why: 'server URL https://{host}/v1 has variable {host} without a default' });
  });
});

describe('urlTemplate', () => {
  it('joins base and path and renames placeholders', () => {
    expect(urlTemplate('https://a.example.com/v1', '/patients/{patient-id}/visits', (p) => p.replace('-', '_'))).toBe('https://a.example.com/v1/patients/{patient_id}/visits');
  });
});
