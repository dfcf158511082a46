import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Integration } from '@switchboard/contracts';
import { anthropicToolProblems, exportTools, mcpToolProblems, openAiToolProblems, parseIntegrationDocuments, validateIntegration } from '@switchboard/definition';
import { importOpenApi } from './import-openapi.js';
import { loadDocument } from './load-document.js';
import type { ImportOptions, ImportResult } from './types.js';

// Real documents as their vendors publish them: test/fixtures/openapi/SOURCE.md names each source.
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/openapi');
const DOCUMENTS = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(FIXTURES, d.name)).map((f) => `${d.name}/${f}`));

/** What a vendor's document needs to import whole: DrChrono offers only OAuth authorizationCode. */
const AUTH: Readonly<Record<string, ImportOptions>> = { drchrono: { auth: { kind: 'bearer', credentialId: 'drchrono-token' } } };

function expectApplies(result: ImportResult): void {
  for (const i of result.integrations) expect(validateIntegration(i), i.key).toEqual([]);
  // What `switchboard apply` reads back from the written files: the same definitions, no problems.
  const parsed = parseIntegrationDocuments(result.documents.map((d) => stringify(d)).join('---\n'), 'import.yaml');
  expect(parsed.problems).toEqual([]);
  expect(parsed.integrations.map((i) => Integration.toJSON(i))).toEqual(result.integrations.map((i) => Integration.toJSON(i)));
}

function expectToolsFollowEveryFormat(result: ImportResult): void {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const openai = exportTools(result.integrations, 'openai');
  const strict = exportTools(result.integrations, 'openai', { strict: true });
  expect(openAiToolProblems(openai.document)).toEqual([]);
  expect(openAiToolProblems(strict.document)).toEqual([]);
  expect(anthropicToolProblems(exportTools(result.integrations, 'anthropic').document)).toEqual([]);
  expect(mcpToolProblems(exportTools(result.integrations, 'mcp').document)).toEqual([]);
  for (const t of [...openai.tools, ...strict.tools]) expect(ajv.validateSchema(t.inputSchema), t.name).toBe(true);
  // A tool without a strict form says why (a free-form object, an array of anything).
  for (const t of strict.tools) if (t.strict?.ok !== true) expect(t.strict?.why, t.name).toMatch(/without declared|no single type/);
}

describe('real vendor documents', () => {
  it('has the documents of at least eight vendors, as SOURCE.md lists them', () => {
    expect(new Set(DOCUMENTS.map((file) => file.split('/')[0])).size).toBeGreaterThanOrEqual(8);
  });

  for (const file of DOCUMENTS) {
    const vendor = file.split('/')[0] ?? '';
    it(`${file}: imports with only honest skips; every definition applies; every tool follows each format's rules`, async () => {
      const result = await importOpenApi(path.join(FIXTURES, file), AUTH[vendor] ?? {});
      const operations = result.integrations.length + new Set(result.skipped.filter((s) => s.what === 'operation').map((s) => s.operation)).size;
      expect(result.integrations.length, `${file}: ${JSON.stringify(result.skipped.slice(0, 3))}`).toBeGreaterThan(operations * 0.9);
      for (const s of result.skipped) expect(s.why.length, JSON.stringify(s)).toBeGreaterThan(10);
      expectApplies(result);
      expectToolsFollowEveryFormat(result);
    }, 60_000);
  }

  it('DrChrono without --auth: every operation is skipped for one reason that names the fix', async () => {
    const result = await importOpenApi(path.join(FIXTURES, 'drchrono/drchrono-rest-api-openapi.yml'));
    const reasons = new Set(result.skipped.filter((s) => s.what === 'operation').map((s) => s.why));
    expect([...reasons]).toEqual([expect.stringMatching(/OAuth 2 authorizationCode.*choose the auth with --auth/)]);
  }, 60_000);

  it('Intercom 2.11: its $ref to an undefined schema leaves out only what uses it', async () => {
    const result = await importOpenApi(path.join(FIXTURES, 'intercom/api.intercom.io.yaml'));
    expect(result.notes).toContain('$ref #/components/schemas/custom_attributes points to nothing in the document: what uses it is left out');
    expect(result.integrations.length).toBeGreaterThan(100);
  }, 60_000);

  it('imports a 2,000-operation document in well under the 5 s target (bound generous for a loaded machine)', async () => {
    // Twilio's 2010 API repeated under /vN prefixes until it has 2,000 operations.
    const twilio = (await loadDocument(path.join(FIXTURES, 'twilio/twilio_api_v2010.yaml'))).doc;
    const paths: Record<string, unknown> = {};
    let operations = 0;
    for (let copy = 0; operations < 2000; copy += 1) {
      for (const [p, item] of Object.entries(twilio['paths'] as Record<string, Record<string, { operationId?: string }>>)) {
        const clone = structuredClone(item);
        for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
          const op = clone[method];
          if (op === undefined) continue;
          operations += 1;
          if (op.operationId !== undefined) op.operationId = `${op.operationId}V${copy}`;
        }
        paths[`/v${copy}${p}`] = clone;
      }
    }
    const started = performance.now();
    const result = await importOpenApi({ ...twilio, paths });
    const ms = performance.now() - started;
    console.log(`imported ${result.integrations.length} of ${operations} operations in ${ms.toFixed(0)} ms`);
    expect(result.integrations.length).toBe(operations);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});
