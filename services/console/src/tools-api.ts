import { ToolFormat } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import { grpc } from './grpc-errors.js';

const FORMATS: Readonly<Record<string, ToolFormat>> = {
  openai: ToolFormat.TOOL_FORMAT_OPENAI,
  anthropic: ToolFormat.TOOL_FORMAT_ANTHROPIC,
  mcp: ToolFormat.TOOL_FORMAT_MCP,
};

/** ListTools for the session's org, in the format the page asks for. */
export const listTools: ApiHandler = async (req, deps) => {
  const name = req.query.get('format') ?? 'openai';
  const format = FORMATS[name];
  if (format === undefined) {
    throw new SwitchboardError('INVALID_REQUEST', 'format must be openai, anthropic or mcp', { fieldErrors: [{ field: 'format', message: 'must be openai, anthropic or mcp' }] });
  }
  const res = await grpc(() => deps.registryFor(req.session.orgId).tools(format));
  let document: unknown = res.documentJson;
  try {
    document = JSON.parse(res.documentJson) as unknown;
  } catch {
    // shown as text
  }
  return { body: { format: name, count: res.tools.length, document } };
};
