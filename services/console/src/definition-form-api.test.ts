import { describe, expect, it } from 'vitest';
import type { ApiDeps, ApiRequest } from './api-context.js';
import { definitionDocument, definitionText } from './definition-form-api.js';
import type { Session } from './sessions.js';

const request = (body: Record<string, unknown>): ApiRequest => ({
  session: {} as Session,
  params: [],
  query: new URLSearchParams(),
  body: () => Promise.resolve(body),
});
const deps = {} as ApiDeps;

describe('the form view conversions', () => {
  it('turns editor YAML into a document and back, keeping fields the form does not show', async () => {
    const text = 'key: k\nmethod: GET\nparameters:\n  - name: id\n    in: path\nauth:\n  type: none\n';
    const { body } = await definitionDocument(request({ text }), deps);
    const { document, choices } = body as { document: Record<string, unknown>; choices: { method: string[]; location: string[]; auth: string[]; apiKeyIn: string[]; format: string[] } };
    expect(document).toEqual({ key: 'k', method: 'GET', parameters: [{ name: 'id', in: 'path' }], auth: { type: 'none' } });
    expect(choices.method).toContain('PATCH');
    expect(choices.location).toEqual(['path', 'query', 'header', 'body']);
    expect(choices.auth).toEqual(['none', 'api_key', 'bearer', 'basic', 'custom_headers', 'oauth2_client_credentials', 'oauth2_refresh_token']);
    expect(choices.apiKeyIn).toEqual(['header', 'query']);
    expect(choices.format).toContain('date-time');
    const back = await definitionText(request({ document: { ...document, name: 'K' } }), deps);
    expect((back.body as { text: string }).text).toBe('key: k\nmethod: GET\nparameters:\n  - name: id\n    in: path\nauth:\n  type: none\nname: K\n');
  });

  it('refuses text that is not one mapping, with the line of a syntax error', async () => {
    await expect(definitionDocument(request({ text: 'key: k\nname: [\n' }), deps)).rejects.toMatchObject({ reason: 'INVALID_DEFINITION', fieldErrors: [expect.objectContaining({ field: '(syntax)', line: expect.any(Number) as unknown })] });
    await expect(definitionDocument(request({ text: '- a\n- b\n' }), deps)).rejects.toMatchObject({ reason: 'INVALID_DEFINITION' });
    await expect(definitionText(request({ document: [1] }), deps)).rejects.toMatchObject({ reason: 'INVALID_REQUEST' });
  });
});
