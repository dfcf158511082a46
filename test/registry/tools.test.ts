import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolFormat, type Integration } from '@switchboard/contracts';
import { startStack, type Stack } from '../support/stack.js';
import { EXAMPLE_FILES, clone, example, jsonSchema2020, runCli } from './registry-helpers.js';

interface Exported {
  readonly name: string;
  readonly description: string;
  readonly schema: Record<string, unknown>;
}

/** The tools out of each format's document, so one set of checks covers all three. */
function toolsOf(format: ToolFormat, document: unknown): Exported[] {
  switch (format) {
    case ToolFormat.TOOL_FORMAT_OPENAI:
      return (document as { type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }[]).map((t) => {
        expect(t.type).toBe('function');
        return { name: t.function.name, description: t.function.description, schema: t.function.parameters };
      });
    case ToolFormat.TOOL_FORMAT_ANTHROPIC:
      return (document as { name: string; description: string; input_schema: Record<string, unknown> }[]).map((t) => ({
        name: t.name,
        description: t.description,
        schema: t.input_schema,
      }));
    case ToolFormat.TOOL_FORMAT_MCP:
      return (document as { tools: { name: string; description: string; inputSchema: Record<string, unknown> }[] }).tools.map((t) => ({
        name: t.name,
        description: t.description,
        schema: t.inputSchema,
      }));
    default:
      throw new Error(`no such format ${format}`);
  }
}

const FORMATS = [
  ['openai', ToolFormat.TOOL_FORMAT_OPENAI],
  ['anthropic', ToolFormat.TOOL_FORMAT_ANTHROPIC],
  ['mcp', ToolFormat.TOOL_FORMAT_MCP],
] as const;

/** Trusted names of a definition: the model must neither see nor be able to send them. */
function trustedNames(i: Integration): string[] {
  return [...i.fixedValues.map((v) => v.name), ...i.contextValues.map((v) => v.name)];
}

describe('registry: ListTools exports the enabled integrations as valid JSON Schema tools', () => {
  let stack: Stack;
  const examples = EXAMPLE_FILES.map((f) => example(f));
  const byKey = new Map(examples.map((i) => [i.key, i]));
  const disabled = clone(examples[0]!);

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
    for (const i of examples) await stack.registryClient.create(i);
    disabled.key = 'old_appointment_lookup';
    disabled.enabled = false;
    await stack.registryClient.create(disabled);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(FORMATS)('%s: every schema compiles under JSON Schema 2020-12 and accepts the sample arguments', async (_name, format) => {
    const res = await stack.registryClient.tools(format);
    const tools = toolsOf(format, JSON.parse(res.documentJson));
    expect(tools.map((t) => t.name)).toEqual([...byKey.keys()].sort());
    expect(res.tools.map((t) => t.name)).toEqual(tools.map((t) => t.name));

    const ajv = jsonSchema2020();
    for (const [n, tool] of tools.entries()) {
      const definition = byKey.get(tool.name)!;
      expect(JSON.parse(res.tools[n]!.inputSchemaJson)).toEqual(tool.schema);
      expect(ajv.validateSchema(tool.schema), `${tool.name}: ${JSON.stringify(ajv.errors)}`).toBe(true);
      const validate = ajv.compile(tool.schema);
      expect(validate(definition.sampleArguments), `${tool.name}: ${JSON.stringify(validate.errors)}`).toBe(true);

      expect(tool.description.startsWith(definition.description.trim())).toBe(true);
      expect(tool.description.length).toBeGreaterThan(definition.description.trim().length + 10);

      // Fixed and call-context values are absent, and the model cannot send them either.
      const properties = Object.keys(tool.schema['properties'] as Record<string, unknown>);
      expect(properties.sort()).toEqual(definition.parameters.map((p) => p.name).sort());
      for (const trusted of trustedNames(definition)) {
        expect(JSON.stringify(tool.schema)).not.toContain(`"${trusted}"`);
        expect(validate({ ...(definition.sampleArguments as Record<string, unknown>), [trusted]: 'x' })).toBe(false);
      }
    }
  });

  it('the schemas keep the definitions rules: formats, enums, patterns and required parameters are enforced', async () => {
    const tools = toolsOf(ToolFormat.TOOL_FORMAT_ANTHROPIC, JSON.parse((await stack.registryClient.tools(ToolFormat.TOOL_FORMAT_ANTHROPIC)).documentJson));
    const ajv = jsonSchema2020();
    const schema = (name: string) => ajv.compile(tools.find((t) => t.name === name)!.schema);
    const booking = schema('dental_booking');
    const sample = example('dental-booking.yaml').sampleArguments as Record<string, unknown>;
    expect(booking({ ...sample, date: 'next Tuesday' })).toBe(false);
    expect(booking({ ...sample, time: '25:00' })).toBe(false);
    expect(booking({ ...sample, visit_type: 'surgery' })).toBe(false);
    const { first_name: _omitted, ...withoutName } = sample;
    expect(booking(withoutName)).toBe(false);
    const { visit_type: _defaulted, ...withoutDefaulted } = sample;
    expect(booking(withoutDefaulted)).toBe(true);
    const lead = schema('crm_lead');
    expect(lead({ full_name: 'Ada', interest: 'other', callback_number: '0301 555' })).toBe(false);
    expect(lead({ full_name: 'Ada', interest: 'other', callback_number: '+14155550123', email: 'not-an-email' })).toBe(false);
    expect(lead({ full_name: 'Ada', interest: 'other', callback_number: '+14155550123', email: 'ada@example.com' })).toBe(true);
  });

  it('a disabled integration is not exported until it is enabled again', async () => {
    const names = async () => (await stack.registryClient.tools(ToolFormat.TOOL_FORMAT_MCP)).tools.map((t) => t.name);
    expect(await names()).not.toContain('old_appointment_lookup');
    const current = await stack.registryClient.get('old_appointment_lookup');
    await stack.registryClient.update({ ...disabled, enabled: true }, current.revision);
    expect(await names()).toContain('old_appointment_lookup');
    const again = await stack.registryClient.get('old_appointment_lookup');
    await stack.registryClient.update(disabled, again.revision);
    expect(await names()).not.toContain('old_appointment_lookup');
    // An org without integrations gets an empty list in every format.
    const empty = stack.client(`org-empty-${stack.id}`);
    expect(JSON.parse((await empty.tools(ToolFormat.TOOL_FORMAT_OPENAI)).documentJson)).toEqual([]);
    expect(JSON.parse((await empty.tools(ToolFormat.TOOL_FORMAT_MCP)).documentJson)).toEqual({ tools: [] });
  });

  it('the CLI prints the anthropic tools as valid JSON', async () => {
    const out = await runCli(['--registry', `127.0.0.1:${stack.registry.port}`, '--org', stack.orgId, 'tools', '--format', 'anthropic']);
    expect(out.code).toBe(0);
    const document = JSON.parse(out.stdout) as { name: string; input_schema: unknown }[];
    expect(document.map((t) => t.name)).toEqual([...byKey.keys()].sort());
    const ajv = jsonSchema2020();
    for (const t of document) expect(ajv.validateSchema(t.input_schema)).toBe(true);
    const bad = await runCli(['--registry', `127.0.0.1:${stack.registry.port}`, '--org', stack.orgId, 'tools', '--format', 'gemini']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--format must be openai, anthropic or mcp');
  });
});
