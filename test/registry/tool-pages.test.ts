import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMethod, Integration, ParameterLocation, ParameterType, ToolFormat } from '@switchboard/contracts';
import { mcpToolProblems, openAiToolProblems } from '@switchboard/definition';
import { startStack, type Stack } from '../support/stack.js';
import { refusal, runCli, status } from './registry-helpers.js';

const COUNT = 10_000;
// About 700 bytes of tool each: 10,000 of them are several times gRPC's 4 MiB message limit.
const DESCRIPTION = 'Looks up the caller\'s open appointments at one of the practice\'s locations, with the provider, the room and what to bring. '.repeat(4);

function integration(n: number): Integration {
  return Integration.fromPartial({
    key: `lookup_${String(n).padStart(5, '0')}`,
    name: `Lookup ${n}`,
    description: DESCRIPTION,
    enabled: true,
    method: HttpMethod.HTTP_METHOD_GET,
    urlTemplate: 'https://pms.example.com/appointments',
    parameters: [
      { name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true, description: 'The patient.' },
      { name: 'tags', type: ParameterType.PARAMETER_TYPE_ARRAY, location: ParameterLocation.PARAMETER_LOCATION_QUERY, items: { type: ParameterType.PARAMETER_TYPE_STRING } },
    ],
  });
}

describe('registry: ListTools for an org with 10,000 integrations', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
    const pending = Array.from({ length: COUNT }, (_v, n) => n);
    // Sixteen writers at a time: the registry validates and stores each one.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let n = pending.shift(); n !== undefined; n = pending.shift()) await stack.registryClient.create(integration(n));
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('pages the list in key order; the pages together are every tool; no page is near the 4 MiB limit', async () => {
    const first = await stack.registryClient.toolsPage(ToolFormat.TOOL_FORMAT_OPENAI);
    expect(first.tools).toHaveLength(500);
    expect(first.tools[0]?.name).toBe('lookup_00000');
    expect(first.nextPageToken).not.toBe('');
    const names: string[] = [];
    let token = '';
    let largest = 0;
    do {
      const page = await stack.registryClient.toolsPage(ToolFormat.TOOL_FORMAT_MCP, { pageSize: 1000, pageToken: token });
      largest = Math.max(largest, Buffer.byteLength(page.documentJson) + page.tools.reduce((n, t) => n + t.inputSchemaJson.length + t.description.length, 0));
      names.push(...page.tools.map((t) => t.name));
      token = page.nextPageToken;
    } while (token !== '');
    expect(names).toHaveLength(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    expect([...names].sort()).toEqual(names);
    expect(largest).toBeLessThan(2 * 1024 * 1024);
  }, 120_000);

  it('the client and the CLI read every page: the whole list, in every format, OpenAI strict too', async () => {
    const mcp = await stack.registryClient.tools(ToolFormat.TOOL_FORMAT_MCP);
    const document = JSON.parse(mcp.documentJson) as { tools: unknown[] };
    expect(document.tools).toHaveLength(COUNT);
    expect(Buffer.byteLength(mcp.documentJson)).toBeGreaterThan(4 * 1024 * 1024);
    expect(mcpToolProblems(document)).toEqual([]);

    const cli = await runCli(['--registry', `127.0.0.1:${stack.registry.port}`, '--org', stack.orgId, 'tools', '--format', 'openai', '--strict']);
    expect(cli.code, cli.stderr).toBe(0);
    const strict = JSON.parse(cli.stdout) as { function: { name: string; strict: boolean; parameters: { required: string[] } } }[];
    expect(strict).toHaveLength(COUNT);
    expect(strict.every((t) => t.function.strict)).toBe(true);
    expect(strict[0]?.function.parameters.required).toEqual(['patient_id', 'tags']);
    expect(openAiToolProblems(strict)).toEqual([]);
  }, 180_000);

  it('refuses a page size over the limit and a token it did not give', async () => {
    const big = await refusal(stack.registryClient.toolsPage(ToolFormat.TOOL_FORMAT_OPENAI, { pageSize: 1001 }));
    expect(big).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_PAGE_SIZE' });
    const forged = await refusal(stack.registryClient.toolsPage(ToolFormat.TOOL_FORMAT_OPENAI, { pageToken: Buffer.from('*').toString('base64url') }));
    expect(forged).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_PAGE_TOKEN' });
  });

  it('tools for an org without integrations says so, in CLI terms', async () => {
    const cli = await runCli(['--registry', `127.0.0.1:${stack.registry.port}`, '--org', `${stack.orgId}-nobody`, 'tools']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`org ${stack.orgId}-nobody has no integrations: check --org`);
  });
});
