import { ToolFormat } from '@switchboard/contracts';
import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';
import { UsageError } from './errors.js';

export async function toolsCommand(g: GlobalOptions, format: string, flags: { strict?: boolean }, print: Print): Promise<void> {
  const formats: Record<string, ToolFormat> = {
    openai: ToolFormat.TOOL_FORMAT_OPENAI,
    anthropic: ToolFormat.TOOL_FORMAT_ANTHROPIC,
    mcp: ToolFormat.TOOL_FORMAT_MCP,
  };
  const f = formats[format];
  if (f === undefined) throw new UsageError('--format must be openai, anthropic or mcp');
  if (flags.strict === true && f !== ToolFormat.TOOL_FORMAT_OPENAI) throw new UsageError('--strict is for --format openai (OpenAI strict mode)');
  await withClient(registryClient(g), async (client) => {
    const res = await client.tools(f, { strict: flags.strict === true });
    if (res.tools.length === 0 && (await client.list()).length === 0) {
      throw new UsageError(`org ${g.org} has no integrations: check --org, or create one with \`switchboard --org ${g.org} apply -f <file>\``);
    }
    print(JSON.stringify(JSON.parse(res.documentJson), null, 2));
  });
}
