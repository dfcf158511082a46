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
    expect(lines).toContain('not translated:');
    expect(lines).toContain('  uploadScan: its request body is multipart/form-data; Switchboard sends JSON or form-encoded bodies only');
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
    expect(lines.join('\n')).toContain('uploadScan: its request body is multipart/form-data');
  });
});
