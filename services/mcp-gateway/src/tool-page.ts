import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { invalidParams } from './protocol-error.js';

/**
 * One page of a tool list sorted by name. The cursor is the last name of the previous page, so a tool
 * added or removed between pages neither repeats nor hides the others. It is opaque to clients
 * (base64url), as MCP asks.
 */
export function pageOfTools(tools: readonly Tool[], cursor: string | undefined, pageSize: number): ListToolsResult {
  let after = '';
  if (cursor !== undefined) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== cursor) throw invalidParams('Invalid cursor');
  }
  const rest = after === '' ? tools : tools.filter((t) => t.name > after);
  const page = rest.slice(0, pageSize);
  const last = page.at(-1);
  return rest.length > pageSize && last !== undefined ? { tools: page, nextCursor: Buffer.from(last.name, 'utf8').toString('base64url') } : { tools: page };
}
