import { ToolFormat, type ListToolsResponse } from '@switchboard/contracts';

/**
 * The pages of a ListTools answer as one: the tools in order, and one document in the format's
 * shape (OpenAI and Anthropic: an array; MCP: `{ tools: [...] }`).
 */
export function joinToolPages(format: ToolFormat, pages: readonly ListToolsResponse[]): ListToolsResponse {
  const documents = pages.map((p) => JSON.parse(p.documentJson) as unknown);
  const entries = documents.flatMap((d) => {
    if (Array.isArray(d)) return d as unknown[];
    const tools = typeof d === 'object' && d !== null ? (d as { tools?: unknown }).tools : undefined;
    return Array.isArray(tools) ? (tools as unknown[]) : [];
  });
  const document = format === ToolFormat.TOOL_FORMAT_MCP ? { tools: entries } : entries;
  return { tools: pages.flatMap((p) => p.tools), documentJson: JSON.stringify(document), nextPageToken: '' };
}
