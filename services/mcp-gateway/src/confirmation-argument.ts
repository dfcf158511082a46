import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { MCP_BURDEN_META_KEY, type McpToolBurden } from '@switchboard/definition';

/**
 * The argument through which a model in a stock MCP host hands back a confirmation token: such a
 * host lets the model set only a tool's name and arguments, never `_meta`.
 */
export const CONFIRMATION_ARGUMENT = 'confirmation_token';

const DESCRIPTION =
  'Leave out on the first call. Only after the caller has clearly agreed to the confirmation question that ' +
  'an earlier call of this tool returned, call again with exactly the same arguments and this set to the ' +
  'confirmation_token that answer gave. Never invent one; it works once.';

/** The gate a listed tool has, from the `_meta` the registry's MCP export writes. */
export function burdenOf(tool: Tool): McpToolBurden | undefined {
  const burden = tool._meta?.[MCP_BURDEN_META_KEY];
  return typeof burden === 'object' && burden !== null && typeof (burden as { level?: unknown }).level === 'string' ? (burden as McpToolBurden) : undefined;
}

/** A confirmed tool as a stock host sees it: its schema also takes the optional confirmation token. */
export function withConfirmationArgument(tool: Tool): Tool {
  if (burdenOf(tool)?.level !== 'confirmed') return tool;
  const properties = { ...(tool.inputSchema.properties ?? {}), [CONFIRMATION_ARGUMENT]: { type: 'string', minLength: 1, maxLength: 512, description: DESCRIPTION } };
  return { ...tool, inputSchema: { ...tool.inputSchema, properties } };
}

/**
 * The arguments without the confirmation token, and the token. A token that is not a string stays in
 * the arguments, where the executor refuses it as an unknown argument with a field error.
 */
export function takeConfirmationArgument(args: Record<string, unknown>): { args: Record<string, unknown>; token: string } {
  const token = args[CONFIRMATION_ARGUMENT];
  if (typeof token !== 'string') return { args, token: '' };
  const rest = { ...args };
  delete rest[CONFIRMATION_ARGUMENT];
  return { args: rest, token };
}
