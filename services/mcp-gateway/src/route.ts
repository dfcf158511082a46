import { ORG_ID_PATTERN } from '@switchboard/contracts';

/** The MCP endpoint: `/mcp` (the token's org) or `/mcp/<org id>` (must be the token's org). */
export type McpRoute = { readonly orgId: string | undefined };

const ORG_PATH = new RegExp(`^/mcp/(${ORG_ID_PATTERN.source.slice(1, -1)})/?$`);

/** The route of a request URL, or undefined when it is not the MCP endpoint. */
export function mcpRouteOf(url: string | undefined): McpRoute | undefined {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  if (path === '/mcp' || path === '/mcp/') return { orgId: undefined };
  const match = ORG_PATH.exec(path);
  return match ? { orgId: match[1] } : undefined;
}
