import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AuthType, BodyEncoding, BurdenLevel, HttpMethod, Integration, ParameterLocation } from '@switchboard/contracts';
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
    expect(list.burden?.level).toBe(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL);
    // patient_id has no example, so no sample arguments can be offered.
    expect(list.sampleArguments).toBeUndefined();

    const hold = byKey(result, 'post_patients_by_patient_id_slots');
    expect(hold.burden).toMatchObject({ level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt: 'Shall I go ahead and hold a slot: patient id {{patient_id}}?' });
    expect(hold.parameters.map((p) => p.name)).toEqual(['patient_id', 'start']);
    expect(result.notes).toContain('hold: burden level confirmed (it may change data), with a default confirmation prompt: review it'.replace('hold', 'post_patients_by_patient_id_slots'));
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
    expect(result.integrations.map((i) => i.key)).toEqual(['add_note', 'add_note_2']);
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
      { operation: 'clash', what: 'operation', why: expect.stringMatching(/^the definition it becomes is not valid: parameters\[1\]\.wire_name: "x-trace" in header is already used by parameters\[0\]/) },
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

  it('refuses URLs off this machine, invalid documents, Swagger 2.0 and external $refs', async () => {
    await expect(importOpenApi('https://api.example.com/openapi.json')).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_NOT_ALLOWED' });
    await expect(importOpenApi(`${origin}/missing.yaml`)).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_UNREADABLE' });
    await expect(importOpenApi(path.join(dir, 'nope.yaml'))).rejects.toMatchObject({ reason: 'OPENAPI_SOURCE_UNREADABLE' });
    await expect(importOpenApi(doc30({ '/a': { get: { operationId: 'x' } } }))).rejects.toMatchObject({ reason: 'INVALID_OPENAPI', message: expect.stringContaining('responses') });
    await expect(importOpenApi({ swagger: '2.0', info: {}, paths: {} })).rejects.toThrow(/Swagger 2.0/);
    await expect(
      importOpenApi(doc30({ '/a': { get: { operationId: 'x', responses: { '200': { $ref: 'common.yaml#/components/responses/Ok' } } } } })),
    ).rejects.toThrow(/other files/);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'openapi: 3.0.3\ninfo: [unclosed');
    await expect(importOpenApi(broken)).rejects.toMatchObject({ reason: 'INVALID_OPENAPI' });
  });
});
