import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { fromServiceError } from '@switchboard/client';
import { ToolFormat, type ListToolsResponse } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';

/** The part of RegistryClient (scoped to one org) the gateway needs. */
export interface ToolSource {
  tools(format: ToolFormat): Promise<ListToolsResponse>;
}

function isToolList(value: unknown): value is { tools: Tool[] } {
  if (typeof value !== 'object' || value === null) return false;
  const tools = (value as { tools?: unknown }).tools;
  return Array.isArray(tools);
}

/**
 * The org's tools exactly as the registry's ListTools writes them in MCP format: name, description
 * (with the burden level's instruction) and the JSON Schema, passed through unchanged.
 */
export async function listOrgTools(source: ToolSource): Promise<Tool[]> {
  let response: ListToolsResponse;
  try {
    response = await source.tools(ToolFormat.TOOL_FORMAT_MCP);
  } catch (err) {
    throw fromServiceError(err, 'registry');
  }
  const document: unknown = JSON.parse(response.documentJson);
  if (!isToolList(document)) throw new SwitchboardError('INTERNAL', 'the registry returned a tool list without tools');
  return document.tools;
}
