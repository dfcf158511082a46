import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AuthType, BodyEncoding, BurdenLevel, HttpMethod, Integration, ParameterLocation, ParameterType, StringFormat } from '@switchboard/contracts';
import { parseIntegrationDocuments, validateIntegration } from '@switchboard/definition';
import { importOpenApi } from './import-openapi.js';
import { isLoopbackHost } from './load-document.js';
import type { ImportResult } from './types.js';

const BASE = 'https://pms.example.com/api';

/** A small but complete 3.0 document; `extra` is merged into paths. */
function doc30(paths: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'Test PMS', version: '1.0.0' },
    servers: [{ url: BASE }],
    components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-API-Key' } }, schemas: { Slot: { type: 'object', properties: { start: { type: 'string', format: 'date-time' } } } } },
    security: [{ key: [] }],
    paths,
    ...extra,
  };
}

const ok = { '200': { description: 'ok' } };

function byKey(result: ImportResult, key: string): Integration {
  const found = result.integrations.find((i) => i.key === key);
  if (found === undefined) throw new Error(`no ${key} in ${result.integrations.map((i) => i.key).join(', ')}; skipped: ${JSON.stringify(result.skipped)}`);
  return found;
}

function expectAllValid(result: ImportResult): void {
  for (const i of result.integrations) expect(validateIntegration(i), i.key).toEqual([]);
  // The documents are what `switchboard apply` reads back: the same definitions, no problems.
  const parsed = parseIntegrationDocuments(result.documents.map((d) => stringify(d)).join('---\n'), 'import.yaml');
  expect(parsed.problems).toEqual([]);
  expect(parsed.integrations.map((i) => Integration.toJSON(i))).toEqual(result.integrations.map((i) => Integration.toJSON(i)));
}

describe('importOpenApi: translation of whole operations', () => {
  it('builds key, name, description, method, URL template, parameters, auth and burden', async () => {
    const result = await importOpenApi(
      doc30({
        '/patients/{patient-id}/slots': {
          parameters: [{ name: 'patient-id', in: 'path', required: true, schema: { type: 'string' } }],
          get: {
            operationId: 'listOpenSlots',
            summary: 'List open slots',
            description: 'Free appointment slots for a patient.',
            parameters: [
              { name: 'date', in: 'query', required: true, schema: { type: 'string', format: 'date' }, example: '2026-03-03' },
              { name: 'X-Location-Id', in: 'header', schema: { type: 'integer', minimum: 1 } },
            ],
            responses: ok,
          },
          post: {
            summary: 'Hold a slot',
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Slot' } } } },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    const list = byKey(result, 'list_open_slots');
    expect(list).toMatchObject({ name: 'List open slots', description: 'List open slots. Free appointment slots for a patient.', method: HttpMethod.HTTP_METHOD_GET, enabled: true });
    expect(list.urlTemplate).toBe(`${BASE}/patients/{patient_id}/slots`);
    expect(list.parameters.map((p) => [p.name, p.location, p.wireName, p.required])).toEqual([
      ['patient_id', ParameterLocation.PARAMETER_LOCATION_PATH, '', true],
      ['date', ParameterLocation.PARAMETER_LOCATION_QUERY, '', true],
      ['x_location_id', ParameterLocation.PARAMETER_LOCATION_HEADER, 'X-Location-Id', false],
    ]);
    expect(list.auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'key', apiKeyName: 'X-API-Key' });
    // A read, but of a patient's data: verified is suggested.
    expect(list.burden?.level).toBe(BurdenLevel.BURDEN_LEVEL_VERIFIED);
    expect(result.notes).toContain('list_open_slots: burden level verified (it reads or changes patient or identity data: the caller should be verified first): review it');
    // patient_id has no example, so no sample arguments can be offered.
    expect(list.sampleArguments).toBeUndefined();

    const hold = byKey(result, 'post_patients_by_patient_id_slots');
    // A write on a patient's data: verified is suggested, not merely confirmed.
    expect(hold.burden).toMatchObject({ level: BurdenLevel.BURDEN_LEVEL_VERIFIED });
    expect(hold.parameters.map((p) => p.name)).toEqual(['patient_id', 'start']);
    expect(result.notes.some((n) => n.startsWith('credential key ') && n.includes('--type api_key'))).toBe(true);
  });

  it('renames clashing parameters, drops the API key header parameter and ignores Authorization headers, saying so', async () => {
    const result = await importOpenApi(
      doc30({
        '/visits/{date}': {
          put: {
            operationId: 'moveVisit',
            parameters: [
              { name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } },
              { name: 'X-API-Key', in: 'header', schema: { type: 'string' } },
              { name: 'Authorization', in: 'header', schema: { type: 'string' } },
            ],
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { date: { type: 'string', format: 'date' } } } } } },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    const move = byKey(result, 'move_visit');
    expect(move.parameters.map((p) => [p.name, p.wireName])).toEqual([['date', ''], ['date_body', 'date']]);
    expect(result.skipped.map((s) => s.what)).toEqual(['header parameter X-API-Key', 'header parameter Authorization']);
  });

  it('refuses required cookie parameters and unsupported methods, but keeps the rest of the document', async () => {
    const result = await importOpenApi(
      doc30({
        '/a': {
          get: { operationId: 'needsCookie', parameters: [{ name: 'sid', in: 'cookie', required: true, schema: { type: 'string' } }], responses: ok },
          head: { operationId: 'probe', responses: ok },
          post: { operationId: 'fine', responses: ok },
        },
      }),
    );
    expect(result.integrations.map((i) => i.key)).toEqual(['fine']);
    expect(result.skipped).toEqual([
      { operation: 'needsCookie', what: 'operation', why: 'its required cookie parameter sid is a cookie: Switchboard sends no cookies' },
      { operation: 'probe', what: 'operation', why: 'HEAD is not a method Switchboard sends (GET, POST, PUT, PATCH, DELETE)' },
    ]);
  });

  it('sets allow_body_on_any_method for a DELETE with a body and sends a vendor JSON content type', async () => {
    const result = await importOpenApi(
      doc30({
        '/slots': {
          delete: {
            operationId: 'releaseSlots',
            requestBody: { required: true, content: { 'application/vnd.pms+json': { schema: { type: 'object', required: ['ids'], properties: { ids: { type: 'array', items: { type: 'string' } } } } } } },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    const release = byKey(result, 'release_slots');
    expect(release.allowBodyOnAnyMethod).toBe(true);
    expect(release.fixedValues).toEqual([{ name: 'Content-Type', location: ParameterLocation.PARAMETER_LOCATION_HEADER, value: 'application/vnd.pms+json' }]);
  });

  it('reads form bodies, 3.1 types and keeps keys unique', async () => {
    const result = await importOpenApi({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      servers: [{ url: BASE }],
      paths: {
        '/notes': {
          post: {
            operationId: 'add-note',
            requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { text: { type: ['string', 'null'] } } } } } },
            responses: ok,
          },
        },
        '/notes/v2': { post: { operationId: 'add_note', responses: ok } },
      },
    });
    expectAllValid(result);
    // The second 'add note' is told apart by its method and path, not by a number.
    expect(result.integrations.map((i) => i.key)).toEqual(['add_note', 'post_notes_v2']);
    expect(byKey(result, 'add_note').bodyEncoding).toBe(BodyEncoding.BODY_ENCODING_FORM);
    expect(byKey(result, 'add_note').auth).toBeUndefined();
    expect(result.notes[0]).toContain('its key would be add_note');
  });

  it('skips an operation whose definition would not validate, with the problems', async () => {
    const result = await importOpenApi(
      doc30({
        '/a': {
          post: {
            operationId: 'clash',
            // Header names are case-insensitive: these two are one header on the wire.
            parameters: [
              { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
              { name: 'x-trace', in: 'header', schema: { type: 'string' } },
            ],
            responses: ok,
          },
        },
      }),
    );
    expect(result.integrations).toEqual([]);
    expect(result.skipped).toEqual([
      { operation: 'clash', what: 'operation', why: expect.stringMatching(/^the definition it becomes is not valid: parameters\[1\]\.wire_name: "x-trace" in header is already used by parameters\[0\]/) as unknown },
    ]);
  });
});

describe('importOpenApi: selection', () => {
  const doc = doc30({
    '/a': { get: { operationId: 'getA', tags: ['read'], responses: ok }, post: { operationId: 'postA', tags: ['write'], responses: ok } },
    '/b': { get: { tags: ['read'], responses: ok } },
  });

  it('filters by operationId, key, METHOD /path and tag', async () => {
    expect((await importOpenApi(doc, { operations: ['getA'] })).integrations.map((i) => i.key)).toEqual(['get_a']);
    expect((await importOpenApi(doc, { operations: ['post_a', 'GET /b'] })).integrations.map((i) => i.key)).toEqual(['post_a', 'get_b']);
    expect((await importOpenApi(doc, { tags: ['read'] })).integrations.map((i) => i.key)).toEqual(['get_a', 'get_b']);
  });

  it('refuses names and tags the document does not have', async () => {
    await expect(importOpenApi(doc, { operations: ['nope'] })).rejects.toMatchObject({ reason: 'OPENAPI_OPERATION_NOT_FOUND' });
    await expect(importOpenApi(doc, { tags: ['admin'] })).rejects.toMatchObject({ reason: 'OPENAPI_TAG_NOT_FOUND' });
  });
});

describe('importOpenApi: sources', () => {
  let dir: string;
  let server: http.Server;
  let origin: string;
  const yamlDoc = stringify(doc30({ '/a': { get: { operationId: 'getA', responses: ok } } }, { servers: [{ url: '/v1' }] }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openapi-import-'));
    server = http.createServer((req, res) => {
      if (req.url === '/openapi.yaml') {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.end(yamlDoc);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML from a loopback URL and resolves a relative server URL against it', async () => {
    const result = await importOpenApi(`${origin}/openapi.yaml`);
    expect(byKey(result, 'get_a').urlTemplate).toBe(`${origin}/v1/a`);
  });

  it('reads a file, and needs a server URL for its relative server', async () => {
    const file = path.join(dir, 'api.yaml');
    await writeFile(file, yamlDoc);
    const withoutServer = await importOpenApi(file);
    expect(withoutServer.integrations).toEqual([]);
    expect(withoutServer.skipped[0]?.why).toContain('is relative');
    const result = await importOpenApi(file, { serverUrl: 'http://127.0.0.1:9/v1' });
    expect(byKey(result, 'get_a').urlTemplate).toBe('http://127.0.0.1:9/v1/a');
  });

  it('does not change a parsed document it is given', async () => {
    const given = doc30({ '/a': { get: { operationId: 'getA', responses: { '200': { $ref: '#/components/responses/Ok' } } } } }, { servers: [{ url: BASE }] });
    (given['components'] as Record<string, unknown>)['responses'] = { Ok: { description: 'ok' } };
    const before = JSON.stringify(given);
    await importOpenApi(given);
    expect(JSON.stringify(given)).toBe(before);
  });

  it('knows which hosts are this machine', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.1', '169.254.169.254', 'example.com', '127.0.0.1.nip.io', '[::ffff:7f00:1]']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses URLs off this machine, unparseable documents and Swagger 2.0; imports around what breaks the specification', async () => {
    await expect(importOpenApi('https://api.example.com/openapi.json')).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_NOT_ALLOWED' });
    await expect(importOpenApi(`${origin}/missing.yaml`)).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_UNREADABLE' });
    await expect(importOpenApi(path.join(dir, 'nope.yaml'))).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_UNREADABLE' });
    await expect(importOpenApi({ swagger: '2.0', info: {}, paths: {} })).rejects.toThrow(/Swagger 2.0/);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'openapi: 3.0.3\ninfo: [unclosed');
    await expect(importOpenApi(broken)).rejects.toMatchObject({ reason: 'INVALID_OPENAPI' });
  });
});

describe('importOpenApi: forgiving and honest with published documents', () => {
  it('imports around operations that break the specification, and around $refs it cannot follow', async () => {
    const result = await importOpenApi(
      doc30({
        // No `responses` (OpenAPI requires them): harmless for a call, imported.
        '/visits': { get: { operationId: 'listVisits', summary: 'List visits' } },
        // A path parameter the path does not contain: this one operation is skipped.
        '/notes': { get: { operationId: 'getNote', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: ok } },
        '/tags': { post: { operationId: 'addTag', requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } }, responses: ok } },
        '/files': { get: { operationId: 'listFiles', parameters: [{ $ref: 'common.yaml#/components/parameters/Page' }], responses: ok } },
      }),
    );
    expectAllValid(result);
    expect(result.integrations.map((i) => i.key)).toEqual(['list_visits']);
    const why = Object.fromEntries(result.skipped.map((s) => [s.operation, s.why]));
    expect(why['getNote']).toMatch(/url_template|placeholder|path/);
    expect(why['addTag']).toBe('its request body refers to #/components/schemas/Missing, which cannot be followed');
    expect(why['listFiles']).toBe('a parameter refers to common.yaml#/components/parameters/Page, which cannot be followed');
    expect(result.notes).toContain('$ref #/components/schemas/Missing points to nothing in the document: what uses it is left out');
  });

  it('says how to choose the auth when the document\'s cannot be sent, and uses --auth when given', async () => {
    const oauthCode = doc30(
      { '/patients': { get: { operationId: 'listPatients', responses: ok } }, '/slots': { get: { operationId: 'listSlots', responses: ok } } },
      {
        components: { securitySchemes: { ehr: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://ehr.example.com/o/authorize', tokenUrl: 'https://ehr.example.com/o/token', scopes: {} } } } } },
        security: [{ ehr: [] }],
        info: { title: 'Example EHR API', version: '1' },
      },
    );
    const refused = await importOpenApi(oauthCode);
    expect(refused.integrations).toEqual([]);
    expect(new Set(refused.skipped.map((s) => s.why)).size).toBe(1);
    expect(refused.skipped[0]?.why).toMatch(/OAuth 2 authorizationCode .*: choose the auth with --auth \(bearer, basic, api_key or oauth2_client\)$/);

    const bearer = await importOpenApi(oauthCode, { auth: { kind: 'bearer' } });
    expectAllValid(bearer);
    expect(bearer.integrations.map((i) => [i.key, i.auth?.type, i.auth?.credentialId])).toEqual([
      ['list_patients', AuthType.AUTH_TYPE_BEARER, 'example-ehr-token'],
      ['list_slots', AuthType.AUTH_TYPE_BEARER, 'example-ehr-token'],
    ]);
    const key = await importOpenApi(oauthCode, { auth: { kind: 'api_key', in: 'query', name: 'key', credentialId: 'ehr-key' } });
    expect(key.integrations[0]?.auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'ehr-key', apiKeyName: 'key' });
    const renamed = await importOpenApi(doc30({ '/a': { get: { operationId: 'a', responses: ok } } }), { auth: { kind: 'document', credentialId: 'pms-api-key' } });
    expect(renamed.integrations[0]?.auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'pms-api-key', apiKeyName: 'X-API-Key' });
  });

  it('reads Authorization and X-API-Key header parameters as auth, and warns about an unauthenticated-looking operation', async () => {
    const noSecurity = (paths: Record<string, unknown>) => ({ openapi: '3.0.3', info: { title: 'Clinic', version: '1' }, servers: [{ url: BASE }], paths });
    const result = await importOpenApi(
      noSecurity({
        '/a': { get: { operationId: 'withBearer', parameters: [{ name: 'Authorization', in: 'header', required: true, schema: { type: 'string' } }], responses: ok } },
        '/b': { get: { operationId: 'withKey', parameters: [{ name: 'X-API-Key', in: 'header', required: true, schema: { type: 'string' } }, { name: 'q', in: 'query', schema: { type: 'string' } }], responses: ok } },
        '/c': { get: { operationId: 'bare', responses: { '200': { description: 'ok' }, '401': { description: 'no' } } } },
        '/d': { get: { operationId: 'open', security: [], responses: { '200': { description: 'ok' }, '401': { description: 'no' } } } },
      }),
    );
    expectAllValid(result);
    expect(byKey(result, 'with_bearer').auth).toMatchObject({ type: AuthType.AUTH_TYPE_BEARER, credentialId: 'clinic-token' });
    expect(byKey(result, 'with_bearer').parameters).toEqual([]);
    expect(byKey(result, 'with_key').auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, apiKeyName: 'X-API-Key', credentialId: 'clinic-key' });
    expect(byKey(result, 'with_key').parameters.map((p) => p.name)).toEqual(['q']);
    expect(byKey(result, 'bare').auth).toBeUndefined();
    expect(result.notes.filter((n) => n.includes('WARNING'))).toEqual([
      'bare: WARNING: imported without auth, but the document defines security schemes or the operation answers 401/403: check it, or import with --auth',
    ]);
  });

  it('sends constants as fixed values: the model is never asked for them', async () => {
    const result = await importOpenApi(
      doc30({
        '/orgs/{region}/bookings': {
          post: {
            operationId: 'createBooking',
            parameters: [
              { name: 'region', in: 'path', required: true, schema: { type: 'string', enum: ['eu'] } },
              { name: 'Api-Version', in: 'header', schema: { type: 'string', default: '2024-08-13', enum: ['2024-06-14', '2024-08-13'] } },
              { name: 'format', in: 'query', required: true, description: 'Must be set to json.', schema: { type: 'string', default: 'json' } },
            ],
            requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['kind', 'start'], properties: { kind: { const: 'visit' }, start: { type: 'string', format: 'date-time' } } } } } },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    const booking = byKey(result, 'create_booking');
    expect(booking.parameters.map((p) => p.name)).toEqual(['start']);
    expect(booking.urlTemplate).toBe(`${BASE}/orgs/eu/bookings`);
    expect(booking.fixedValues).toEqual([
      { name: 'Api-Version', location: ParameterLocation.PARAMETER_LOCATION_HEADER, value: '2024-08-13' },
      { name: 'format', location: ParameterLocation.PARAMETER_LOCATION_QUERY, value: 'json' },
      { name: 'kind', location: ParameterLocation.PARAMETER_LOCATION_BODY, value: 'visit' },
    ]);
    expect(booking.burden).toMatchObject({ level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt: 'Shall I go ahead and create booking: start {{start}}?' });
    expect(result.notes).toContain('create_booking: burden level confirmed (it may change data), with a default confirmation prompt: review it');
  });

  it('suggests burden levels a reviewer expects and marks identifying values sensitive', async () => {
    const result = await importOpenApi(
      doc30({
        '/appointments/search': { post: { operationId: 'searchAppointments', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { day: { type: 'string', format: 'date' } } } } } }, responses: ok } },
        '/appointments/{id}': { delete: { operationId: 'cancelAppointment', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: ok } },
        '/callers/verify': {
          post: {
            operationId: 'checkCaller',
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { ssn: { type: 'string' }, dateOfBirth: { type: 'string' }, cardNumber: { type: 'string' }, nextPageToken: { type: 'string' }, useToken: { type: 'boolean' } } } } } },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    expect(byKey(result, 'search_appointments').burden?.level).toBe(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL);
    expect(byKey(result, 'cancel_appointment').burden?.level).toBe(BurdenLevel.BURDEN_LEVEL_VERIFIED);
    const caller = byKey(result, 'check_caller');
    expect(caller.burden?.level).toBe(BurdenLevel.BURDEN_LEVEL_VERIFIED);
    expect(caller.parameters.map((p) => [p.name, p.sensitive])).toEqual([
      ['ssn', true],
      ['dateOfBirth', true],
      ['cardNumber', true],
      ['nextPageToken', false],
      ['useToken', false],
    ]);
    expect(caller.parameters.find((p) => p.name === 'dateOfBirth')?.format).toBe(StringFormat.STRING_FORMAT_DATE);
  });

  it('describes array items and object properties, nested, to the model', async () => {
    const result = await importOpenApi(
      doc30({
        '/orders': {
          post: {
            operationId: 'createOrder',
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['lines'],
                    properties: {
                      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
                      lines: { type: 'array', minItems: 1, items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } } } },
                      meta: { type: 'object', additionalProperties: { type: 'string' } },
                    },
                  },
                },
              },
            },
            responses: ok,
          },
        },
      }),
    );
    expectAllValid(result);
    const [tags, lines] = byKey(result, 'create_order').parameters;
    expect(tags?.items).toMatchObject({ type: ParameterType.PARAMETER_TYPE_STRING, enumValues: ['a', 'b'] });
    expect(lines?.items?.type).toBe(ParameterType.PARAMETER_TYPE_OBJECT);
    expect(lines?.items?.properties.map((p) => [p.name, p.type, p.required, p.minimum])).toEqual([
      ['sku', ParameterType.PARAMETER_TYPE_STRING, true, undefined],
      ['qty', ParameterType.PARAMETER_TYPE_INTEGER, false, 1],
    ]);
  });
});
