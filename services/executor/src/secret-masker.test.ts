import { describe, expect, it } from 'vitest';
import { echoForms, loggableError, maskerFor, RequestSecrets } from './secret-masker.js';

const SECRET = 'sk_live/+"key ü';

describe('echoForms', () => {
  it('covers the value as sent, URL-encoded, JSON-escaped and base64', () => {
    const forms = echoForms(SECRET);
    const bytes = Buffer.from(SECRET, 'utf8');
    for (const expected of [
      SECRET,
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      new URLSearchParams([['', SECRET]]).toString().slice(1),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1),
      bytes.toString('base64'),
      bytes.toString('base64url'),
    ]) {
      expect(forms).toContain(expected);
    }
  });
});

describe('maskerFor', () => {
  it('masks every form in one pass and leaves other text alone', () => {
    const masker = maskerFor([SECRET])!;
    const text = `a ${SECRET} b ${encodeURIComponent(SECRET)} c ${Buffer.from(SECRET).toString('base64')} d ${JSON.stringify({ k: SECRET })}`;
    expect(masker.mask(text)).toBe('a [REDACTED] b [REDACTED] c [REDACTED] d {"k":"[REDACTED]"}');
    expect(masker.mask('nothing to see')).toBe('nothing to see');
  });

  it('keeps a JSON body valid when a secret inside a string is masked', () => {
    const body = JSON.stringify({ echoed: { authorization: `Bearer ${SECRET}`, nested: JSON.stringify({ token: SECRET }) } });
    const masked = maskerFor([SECRET])!.mask(body);
    expect(masked).not.toContain('sk_live');
    expect(JSON.parse(masked)).toEqual({ echoed: { authorization: 'Bearer [REDACTED]', nested: '{"token":"[REDACTED]"}' } });
  });

  it('masks raw bytes without touching the bytes around a match (binary bodies too)', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from(SECRET, 'utf8'), Buffer.from([0x80, 0xfe])]);
    const masked = maskerFor([SECRET])!.maskBytes(bytes);
    expect(masked).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from('[REDACTED]'), Buffer.from([0x80, 0xfe])]));
    const clean = Buffer.from('no secret');
    expect(maskerFor([SECRET])!.maskBytes(clean)).toBe(clean);
  });

  it('prefers the longest form, so an encoded secret is masked whole', () => {
    const masker = maskerFor(['abcd', 'abcd efgh'])!;
    expect(masker.mask('x abcd+efgh y abcd%20efgh')).toBe('x [REDACTED] y [REDACTED]');
  });

  it('ignores values too short to be secrets, and answers undefined when nothing is left', () => {
    expect(maskerFor(['abc', ''])).toBeUndefined();
    expect(maskerFor(['abc', 'long-enough'])!.mask('abc long-enough')).toBe('abc [REDACTED]');
  });

  it('compiles each set of secrets once', () => {
    expect(maskerFor(['same-secret-1'])).toBe(maskerFor(['same-secret-1']));
  });
});

describe('RequestSecrets', () => {
  it('is empty until a secret is added, then masks values added later (a refreshed token) and signatures', () => {
    const secrets = new RequestSecrets();
    expect(secrets.empty).toBe(true);
    expect(secrets.mask('token-one token-two')).toBe('token-one token-two');
    secrets.add('token-one');
    expect(secrets.mask('token-one token-two')).toBe('[REDACTED] token-two');
    secrets.add('token-two');
    const mac = 'a'.repeat(64);
    secrets.addSignature(mac);
    expect(secrets.empty).toBe(false);
    expect(secrets.mask(`token-one token-two v1=${mac}`)).toBe('[REDACTED] [REDACTED] v1=[REDACTED]');
    expect(secrets.maskBytes(Buffer.from(`v1=${mac}`)).toString()).toBe('v1=[REDACTED]');
  });
});

describe('loggableError', () => {
  it("masks the request's secrets in an error's message and stack, and leaves errors of requests without secrets as they are", () => {
    const secrets = new RequestSecrets();
    const error = new Error('failed near api-key-123');
    expect(loggableError(error, secrets)).toBe(error);
    secrets.add('api-key-123');
    const shown = loggableError(error, secrets) as { type: string; message: string; stack: string };
    expect(shown.type).toBe('Error');
    expect(shown.message).toBe('failed near [REDACTED]');
    expect(JSON.stringify(shown)).not.toContain('api-key-123');
  });
});
