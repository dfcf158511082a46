import { describe, expect, it } from 'vitest';
import { importPasted } from './openapi-text.js';

const DOC = `openapi: 3.0.3
info: { title: Clinic, version: '1' }
servers: [{ url: 'https://pms.example.com/api' }]
paths:
  /patients/{id}:
    get:
      operationId: getPatient
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses: { '200': { description: ok } }
`;

describe('importPasted', () => {
  it('reads pasted YAML and JSON into integrations', async () => {
    const fromYaml = await importPasted({ text: DOC });
    expect(fromYaml.integrations.map((i) => [i.key, i.urlTemplate])).toEqual([['get_patient', 'https://pms.example.com/api/patients/{id}']]);
    const json = JSON.stringify({ openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: {} });
    expect((await importPasted({ text: json })).integrations).toEqual([]);
  });

  it('uses the server URL given instead of the document one', async () => {
    const r = await importPasted({ text: DOC, serverUrl: 'https://sandbox.example.com/v2' });
    expect(r.integrations[0]!.urlTemplate).toBe('https://sandbox.example.com/v2/patients/{id}');
    await expect(importPasted({ text: DOC, serverUrl: 'file:///etc/passwd' })).rejects.toMatchObject({ reason: 'INVALID_OPENAPI', fieldErrors: [{ field: 'serverUrl' }] });
  });

  it('never reads pasted text as a path or URL', async () => {
    await expect(importPasted({ text: '/etc/passwd' })).rejects.toMatchObject({ reason: 'INVALID_OPENAPI', fieldErrors: [{ field: 'text' }] });
    await expect(importPasted({ text: 'http://127.0.0.1:1/openapi.yaml' })).rejects.toMatchObject({ reason: 'INVALID_OPENAPI' });
    await expect(importPasted({ text: '  ' })).rejects.toMatchObject({ reason: 'INVALID_OPENAPI' });
    await expect(importPasted({ text: 'a: [' })).rejects.toMatchObject({ reason: 'INVALID_OPENAPI' });
    await expect(importPasted({ text: 3 })).rejects.toMatchObject({ reason: 'INVALID_REQUEST' });
  });
});
