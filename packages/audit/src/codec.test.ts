import { AuditEvent, BurdenLevel, Outcome } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  auditEventFromJson,
  auditEventToJson,
  auditEventToJsonLine,
  decodeAuditEvent,
  encodeAuditEvent,
} from './codec.js';
import { AuditDecodeError } from './errors.js';
import { decodeAuditPayload } from './message.js';
import { AUDIT_CONTENT_TYPE } from './subjects.js';

function sampleEvent(): AuditEvent {
  return AuditEvent.fromPartial({
    schemaVersion: 1,
    invocationId: '6f1c1a52-8a51-4f43-9a39-1f1f4a0e0b11',
    orgId: 'org-1',
    callId: 'call-1',
    toolKey: 'look_up_appointment',
    time: new Date('2026-01-02T03:04:05.678Z'),
    test: false,
    gate: { level: BurdenLevel.BURDEN_LEVEL_REQUESTED, decision: 'ALLOWED', reason: '' },
    request: { method: 'GET', url: 'https://api.example/p/1', headers: [{ name: 'x-api-key', value: '[REDACTED]' }], body: '' },
    argumentsJson: '{"patient_id":"1","note":"line one\\nline two"}',
    outcome: Outcome.OUTCOME_SUCCESS,
    httpStatus: 200,
    latencyMs: 12.5,
    breakerState: 'closed',
    retries: 1,
    resultBytes: 42,
    integrationRevision: 7,
  });
}

describe('audit codec', () => {
  it('encodes each event on its own (one reused writer): sizes, copies and a failed encode do not leak into the next', () => {
    const big = { ...sampleEvent(), argumentsJson: JSON.stringify({ note: 'x'.repeat(5_000) }) };
    const small = sampleEvent();
    const fresh = (e: AuditEvent) => Buffer.from(AuditEvent.encode(e).finish());
    const first = encodeAuditEvent(big);
    const firstCopy = Buffer.from(first);
    const second = encodeAuditEvent(small);
    expect(Buffer.from(second)).toEqual(fresh(small));
    // The first result is the caller's: the next encode did not write over it.
    expect(Buffer.from(first)).toEqual(firstCopy);
    expect(Buffer.from(first)).toEqual(fresh(big));
    expect(() => encodeAuditEvent({ ...small, resultBytes: 'many' as unknown as number })).toThrow();
    expect(Buffer.from(encodeAuditEvent(small))).toEqual(fresh(small));
  });

  it('round-trips an event through binary protobuf', () => {
    const event = sampleEvent();
    expect(decodeAuditEvent(encodeAuditEvent(event))).toEqual(event);
  });

  it('rejects bytes that are not an AuditEvent, naming the reason', () => {
    const bad = Uint8Array.from([0x0f]);
    expect(() => decodeAuditEvent(bad)).toThrow(AuditDecodeError);
    try {
      decodeAuditEvent(bad);
    } catch (err) {
      expect((err as AuditDecodeError).reason).toBe('undecodable');
    }
  });

  it('rejects a payload that decodes but carries no invocation id (plain text often decodes as an empty message)', () => {
    const text = new TextEncoder().encode('this is not protobuf');
    expect(() => decodeAuditEvent(text)).toThrow(expect.objectContaining({ reason: 'missing-invocation-id' }));
  });

  it('refuses a payload whose Content-Type names another message, and accepts a missing header', () => {
    const bytes = encodeAuditEvent(sampleEvent());
    expect(decodeAuditPayload(bytes, undefined).invocationId).toBe(sampleEvent().invocationId);
    expect(decodeAuditPayload(bytes, AUDIT_CONTENT_TYPE).toolKey).toBe('look_up_appointment');
    expect(() => decodeAuditPayload(bytes, 'application/json')).toThrow(
      expect.objectContaining({ reason: 'unsupported-content-type' }),
    );
    expect(() => decodeAuditPayload(bytes, 'application/protobuf; proto=other.Message')).toThrow(
      expect.objectContaining({ reason: 'unsupported-content-type' }),
    );
    // The verdict on the last header seen is remembered: alternating headers still get their own.
    for (let i = 0; i < 3; i++) {
      expect(decodeAuditPayload(bytes, AUDIT_CONTENT_TYPE).toolKey).toBe('look_up_appointment');
      expect(decodeAuditPayload(bytes, AUDIT_CONTENT_TYPE).toolKey).toBe('look_up_appointment');
      expect(() => decodeAuditPayload(bytes, 'application/json')).toThrow(expect.objectContaining({ reason: 'unsupported-content-type' }));
    }
  });

  it('writes one JSON line with the searchable fields first and reads it back', () => {
    const line = auditEventToJsonLine(sampleEvent());
    expect(line).not.toContain('\n');
    expect(Object.keys(JSON.parse(line) as object).slice(0, 8)).toEqual([
      'schemaVersion',
      'invocationId',
      'time',
      'orgId',
      'callId',
      'toolKey',
      'test',
      'outcome',
    ]);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed['outcome']).toBe('OUTCOME_SUCCESS');
    expect(parsed['time']).toBe('2026-01-02T03:04:05.678Z');
    expect(auditEventFromJson(parsed)).toEqual(sampleEvent());
  });

  it('keeps defaults visible in JSON so every line has the same core fields', () => {
    const json = auditEventToJson(AuditEvent.fromPartial({ invocationId: 'x' }));
    expect(json).toMatchObject({ invocationId: 'x', orgId: '', callId: '', test: false, time: null, outcome: 'OUTCOME_UNSPECIFIED' });
  });
});
