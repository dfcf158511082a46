import { CacheScope, DeliveryMode, Integration } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { callStateOf, stateNameOf } from './call-state.js';
import { checkArguments } from './argument-check.js';
import { integrationToDocument, parseIntegrationDocuments } from './document.js';
import { parametersJsonSchema } from './tool-schema.js';
import { validateIntegration } from './validate-integration.js';

const LOOKUP = `
key: find_patient
name: Find patient
description: Finds the caller's patient record.
method: get
url_template: https://pms.example.com/patients
parameters:
  - { name: last_name, type: string, in: query, required: true }
response_mapping:
  fields:
    - { name: found, expression: "length(patients)" }
  exports:
    patient_id: "patients[0].id"
    dob: "patients[0].dob"
  sensitive_exports: [dob]
`;

const BOOKING = `
key: book_visit
name: Book visit
description: Books a visit.
method: post
url_template: https://pms.example.com/patients/{patient_id}/visits
parameters:
  - { name: patient_id, type: string, in: path, required: true, from: call.patient_id }
  - { name: date, type: string, in: body, required: true }
burden: { level: verified, accepted_verification_methods: [dob] }
`;

const VERIFIER = `
key: check_dob
name: Check date of birth
description: Checks the caller's date of birth.
method: post
url_template: https://pms.example.com/patients/{patient_id}/verify
parameters:
  - { name: patient_id, type: string, in: path, required: true, from: call.patient_id }
  - { name: dob, type: string, in: body, required: true, sensitive: true }
verifies: { level: dob, ttl_seconds: 900, condition: "match" }
`;

function parsed(yaml: string): Integration {
  const { integrations, problems } = parseIntegrationDocuments(yaml, 'x.yaml');
  expect(problems).toEqual([]);
  return integrations[0] as Integration;
}

describe('call state in definitions', () => {
  it('reads exports, from and verifies from a document, validates them and prints them back', () => {
    const lookup = parsed(LOOKUP);
    const booking = parsed(BOOKING);
    const verifier = parsed(VERIFIER);
    for (const i of [lookup, booking, verifier]) expect(validateIntegration(i)).toEqual([]);
    expect(callStateOf(lookup).exports).toEqual([
      { name: 'patient_id', expression: 'patients[0].id', sensitive: false },
      { name: 'dob', expression: 'patients[0].dob', sensitive: true },
    ]);
    expect(callStateOf(booking).parameters.map((p) => p.stateName)).toEqual(['patient_id']);
    expect(callStateOf(verifier).verifier).toEqual({ level: 'dob', ttlSeconds: 900, condition: 'match' });
    const printed = integrationToDocument(lookup);
    expect(printed['response_mapping']).toMatchObject({ exports: { patient_id: 'patients[0].id' }, sensitive_exports: ['dob'] });
    expect(integrationToDocument(booking)['parameters']).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'call.patient_id' })]));
  });

  it('answers one shared "no state" for a definition that uses none', () => {
    const plain = Integration.fromPartial({ key: 'a' });
    expect(callStateOf(plain).any).toBe(false);
    expect(callStateOf(plain)).toBe(callStateOf(Integration.fromPartial({ key: 'b' })));
  });

  it('keeps a parameter from the call state out of the tool schema and drops a model value for it', () => {
    const booking = parsed(BOOKING);
    const schema = parametersJsonSchema(booking);
    expect(Object.keys(schema['properties'] as object)).toEqual(['date']);
    expect(schema['required']).toEqual(['date']);
    const check = checkArguments(booking, { date: '2026-12-04', patient_id: 'someone-else' });
    expect(check).toEqual({ ok: true, values: { date: '2026-12-04' }, overridden: ['patient_id'] });
  });

  it('names each bad from, export and verifier field', () => {
    const booking = parsed(BOOKING);
    booking.parameters[0]!.from = 'session.patient_id';
    booking.parameters[1]!.from = 'call.x';
    booking.parameters[1]!.defaultValue = 'x';
    expect(stateNameOf(booking.parameters[0]!)).toBeUndefined();
    const lookup = parsed(LOOKUP);
    lookup.responseMapping!.exports = { 'bad name': 'a', patient_id: 'patients[', ok: ' ' };
    lookup.responseMapping!.sensitiveExports = ['dob'];
    lookup.verifies = { level: 'not ok!', ttlSeconds: 0, condition: 'a[' };
    const fields = [...validateIntegration(booking), ...validateIntegration(lookup)].map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'parameters[0].from',
        'parameters[1].default_value',
        'response_mapping.exports.bad name',
        'response_mapping.exports.patient_id',
        'response_mapping.exports.ok',
        'response_mapping.sensitive_exports[0]',
        'verifies.level',
        'verifies.ttl_seconds',
        'verifies.condition',
      ]),
    );
    expect(fields).not.toContain('parameters[1].from');
  });

  it('refuses from on nested parameters, and exports or verifies with cache or async delivery', () => {
    const nested = Integration.fromPartial({
      ...parsed(BOOKING),
      parameters: [{ name: 'visit', type: 6, location: 4, properties: [{ name: 'who', type: 1, from: 'call.patient_id' }] }],
    });
    expect(validateIntegration(nested).map((p) => p.field)).toContain('parameters[0].properties[0].from');
    const cached = parsed(LOOKUP);
    cached.cache = { ttlSeconds: 60, scope: CacheScope.CACHE_SCOPE_CALL };
    expect(validateIntegration(cached)).toContainEqual({ field: 'response_mapping.exports', message: 'does not apply with cache: a cached answer would write no state' });
    const async = parsed(VERIFIER);
    async.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 0, maxAgeMs: 0 };
    expect(validateIntegration(async).map((p) => p.field)).toContain('verifies');
  });
});
