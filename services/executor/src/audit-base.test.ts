import { AuditEvent, Outcome } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { auditBase } from './audit-base.js';

describe('auditBase', () => {
  it('sets the identity and leaves every result field empty, so each writer sets only what it knows', () => {
    const before = Date.now();
    const event = auditBase({ invocationId: 'd-1.2', orgId: 'acme', callId: 'c-1', toolKey: 'book', integrationRevision: 7 });
    expect(event).toMatchObject({ schemaVersion: 1, invocationId: 'd-1.2', orgId: 'acme', callId: 'c-1', toolKey: 'book', integrationRevision: 7, test: false, intent: false });
    expect(event.time?.getTime()).toBeGreaterThanOrEqual(before);
    expect(event.outcome).toBe(Outcome.OUTCOME_UNSPECIFIED);
    // Every field the wire message has, so an event built from it encodes the same as one built by hand.
    expect(Object.keys(event).sort()).toEqual(Object.keys(AuditEvent.fromPartial({})).filter((k) => !['deliveryId', 'attempt', 'deliveryState', 'retryDelayMs', 'cacheHit', 'limitWaitMs'].includes(k)).sort());
  });

  it('keeps a given time and the Test flag', () => {
    const time = new Date(0);
    expect(auditBase({ invocationId: 'i', orgId: 'o', callId: '', toolKey: 't', integrationRevision: 1, time, test: true })).toMatchObject({ time, test: true });
  });
});
