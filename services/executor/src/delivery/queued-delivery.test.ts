import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing, generateMasterKeyEntry } from '@switchboard/crypto';
import type { OutboundRequest } from '../outbound-request.js';
import {
  decodeQueuedDelivery,
  deserializeRequest,
  encodeQueuedDelivery,
  openDelivery,
  sealDelivery,
  serializeRequest,
  type QueuedDelivery,
} from './queued-delivery.js';

const ring = KeyRing.parse(generateMasterKeyEntry('k1'));

function request(): OutboundRequest {
  return {
    method: 'POST',
    origin: 'https://hooks.example.com',
    path: '/alerts/p-SECRETPATH',
    query: [['patient', 'q-SECRETQUERY']],
    headers: { accept: 'application/json', 'content-type': 'application/json', 'x-ssn': 'SECRETHEADER' },
    body: JSON.stringify({ note: 'SECRETBODY', caller: '+15550001111' }),
    secretHeaders: new Set(['x-ssn']),
    secretQuery: new Set(['patient']),
    redactedPath: '/alerts/[REDACTED]',
  };
}

function seal(deliveryId = randomUUID()): QueuedDelivery {
  return sealDelivery(
    ring,
    { deliveryId, orgId: 'org-a', toolKey: 'alert_staff', callId: 'c1', acceptedAt: 1, windowStart: 1, revision: 3, attemptsBefore: 0, requeues: 0 },
    { request: serializeRequest(request()), sensitiveBodyKeys: ['note'], argumentsJson: '{"note":"[REDACTED]"}', gate: { level: 2, decision: 'ALLOWED' } },
  );
}

describe('queued delivery', () => {
  it('keeps the request out of sight: nothing of it is in the message in clear', () => {
    const text = Buffer.from(encodeQueuedDelivery(seal())).toString('utf8');
    for (const secret of ['SECRETPATH', 'SECRETQUERY', 'SECRETHEADER', 'SECRETBODY', '+15550001111', 'hooks.example.com']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ v: 1, orgId: 'org-a', toolKey: 'alert_staff', revision: 3 });
  });

  it('gives back the request exactly, as a fresh object each time', () => {
    const queued = decodeQueuedDelivery(encodeQueuedDelivery(seal()));
    const inside = openDelivery(ring, queued);
    const first = deserializeRequest(inside.request);
    expect(first).toEqual(request());
    first.headers['authorization'] = 'Bearer x';
    expect(deserializeRequest(inside.request).headers).not.toHaveProperty('authorization');
    expect(inside.sensitiveBodyKeys).toEqual(['note']);
  });

  it('does not open when the clear fields are changed: org, tool or delivery', () => {
    const queued = seal();
    for (const changed of [{ orgId: 'org-b' }, { toolKey: 'other_tool' }, { deliveryId: randomUUID() }]) {
      expect(() => openDelivery(ring, { ...queued, ...changed })).toThrow(/did not authenticate/);
    }
    const other = KeyRing.parse(generateMasterKeyEntry('k2'));
    expect(() => openDelivery(other, queued)).toThrow(/not in the key ring/);
  });

  it('refuses a message this version did not write', () => {
    const good = JSON.parse(Buffer.from(encodeQueuedDelivery(seal())).toString('utf8')) as Record<string, unknown>;
    const bad = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));
    for (const m of ['not json', '[1]', { ...good, v: 2 }, { ...good, orgId: 7 }, { ...good, acceptedAt: -1 }, { ...good, deliveryId: '' }]) {
      expect(() => decodeQueuedDelivery(bad(m))).toThrow(expect.objectContaining({ reason: 'DELIVERY_MALFORMED' }));
    }
  });

  it('keeps a header named __proto__ as a header', () => {
    const s = serializeRequest(request());
    const withProto = { ...s, headers: JSON.parse('{"__proto__":"x","accept":"a"}') as Record<string, string> };
    const r = deserializeRequest(withProto);
    expect(Object.keys(r.headers)).toEqual(['__proto__', 'accept']);
    expect(Object.getPrototypeOf(r.headers)).toBe(Object.prototype);
  });
});
