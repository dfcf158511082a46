import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDefinitions, readDefinitionFile } from './definition-file.js';
import { importOpenApiCommand } from './import-openapi.js';

const GLOBALS = { org: 'test', registry: '127.0.0.1:1', executor: '127.0.0.1:1' };

const DOC = {
  openapi: '3.0.3',
  info: { title: 'Front desk', version: '1' },
  servers: [{ url: 'https://frontdesk.example.com/api' }],
  components: { securitySchemes: { deskKey: { type: 'apiKey', in: 'header', name: 'X-Desk-Key' } } },
  security: [{ deskKey: [] }],
  paths: {
    '/patients/{id}': {
      get: { operationId: 'getPatient', summary: 'Get a patient', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' } } },
    },
    '/messages': {
      post: {
        operationId: 'leaveMessage',
        summary: 'Leave a message for the front desk',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } } } },
        responses: { '201': { description: 'ok' } },
      },
    },
    '/scans': {
      post: { operationId: 'uploadScan', requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } }, responses: { '201': { description: 'ok' } } },
    },
  },
};

describe('switchboard import openapi', () => {
  let dir: string;
  let source: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
    source = path.join(dir, 'front-desk.json');
    await writeFile(source, JSON.stringify(DOC));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one file per integration that apply reads without a problem, and prints what it left out', async () => {
    const out = path.join(dir, 'defs');
    const lines: string[] = [];
    await importOpenApiCommand(GLOBALS, source, { out }, (l) => lines.push(l));
    expect((await readdir(out)).sort()).toEqual(['get_patient.yaml', 'leave_message.yaml']);
    for (const name of ['get_patient.yaml', 'leave_message.yaml']) {
      const read = await readDefinitionFile(path.join(out, name));
      expect(() => checkDefinitions(read)).not.toThrow();
      expect(read.integrations).toHaveLength(1);
    }
    const text = await readFile(path.join(out, 'leave_message.yaml'), 'utf8');
    expect(text).toContain('# - burden level confirmed (it may change data), with a default confirmation prompt: review it');
    expect(lines).toContain('not imported (--json lists every one):');
    expect(lines).toContain('  1 operation: its request body is multipart/form-data; Switchboard sends JSON or form-encoded bodies only (uploadScan)');
    expect(lines.some((l) => l.includes('switchboard credential set desk-key --type api_key'))).toBe(true);
  });

  it('writes one multi-document file with --out x.yaml, limited to the operations asked for', async () => {
    const out = path.join(dir, 'one.yaml');
    await importOpenApiCommand(GLOBALS, source, { out, operation: ['leaveMessage', 'GET /patients/{id}'] }, () => undefined);
    const read = await readDefinitionFile(out);
    expect(() => checkDefinitions(read)).not.toThrow();
    expect(read.integrations.map((i) => i.key)).toEqual(['get_patient', 'leave_message']);
  });

  it('fails when nothing can be imported, after saying why', async () => {
    const lines: string[] = [];
    await expect(importOpenApiCommand(GLOBALS, source, { out: dir, operation: ['uploadScan'] }, (l) => lines.push(l))).rejects.toThrow(/nothing in the document could be imported/);
    expect(lines.join('\n')).toContain('1 operation: its request body is multipart/form-data; Switchboard sends JSON or form-encoded bodies only (uploadScan)');
  });

  it('groups operations skipped for the same reason into one line, and --json lists every one', async () => {
    const paths: Record<string, unknown> = {};
    for (let n = 0; n < 146; n += 1) paths[`/r${n}`] = { get: { operationId: `read${n}`, responses: { '200': { description: 'ok' } } } };
    const oauth = {
      ...DOC,
      components: { securitySchemes: { ehr: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://ehr.example.com/a', tokenUrl: 'https://ehr.example.com/t', scopes: {} } } } } },
      security: [{ ehr: [] }],
      paths,
    };
    const file = path.join(dir, 'oauth.json');
    await writeFile(file, JSON.stringify(oauth));
    const lines: string[] = [];
    await expect(importOpenApiCommand(GLOBALS, file, { out: dir }, (l) => lines.push(l))).rejects.toThrow(/nothing in the document could be imported/);
    const grouped = lines.filter((l) => l.startsWith('  146 operations: '));
    expect(grouped).toHaveLength(1);
    expect(grouped[0]).toMatch(/OAuth 2 authorizationCode .*choose the auth with --auth .*\(read0, read1, read2, … 143 more\)$/);
    expect(lines.filter((l) => l.includes('read57'))).toEqual([]);

    const json: string[] = [];
    await expect(importOpenApiCommand(GLOBALS, file, { out: dir, json: true }, (l) => json.push(l))).rejects.toThrow();
    const printed = JSON.parse(json[0] ?? '{}') as { skipped: { operation: string }[] };
    expect(printed.skipped.map((s) => s.operation)).toHaveLength(146);

    const out = path.join(dir, 'bearer.yaml');
    await importOpenApiCommand(GLOBALS, file, { out, auth: 'bearer', authCredential: 'ehr-token' }, () => undefined);
    const read = await readDefinitionFile(out);
    expect(read.integrations).toHaveLength(146);
    expect(read.integrations.every((i) => i.auth?.credentialId === 'ehr-token')).toBe(true);
  });
});
