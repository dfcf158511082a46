import type { IncomingHttpHeaders } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Outcome, outcomeToJSON } from '@switchboard/contracts';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logging';
import { callContextOf, CONTEXT_META_KEY, type ToolCallContext } from './call-context.js';
import type { OrgPrincipal } from './org-auth.js';
import { invokeTool, type ToolInvoker } from './tool-call.js';
import { listOrgTools, type ToolSource } from './tool-list.js';
import { toolResultOf, unavailableResult } from './tool-result.js';

export interface GatewayDeps {
  /** The registry, scoped to one org (the token's). */
  readonly registryFor: (orgId: string) => ToolSource;
  readonly executor: ToolInvoker;
  readonly invokeTimeoutMs: number;
  readonly logger: Logger;
}

const SERVER_INFO = { name: 'switchboard', version: '0.1.0' };

const INSTRUCTIONS =
  "These tools are this organisation's Switchboard integrations, run with the same rules as on a phone call. " +
  `Pass the live call's context in _meta["${CONTEXT_META_KEY}"] (callId, callerNumber, verification, callerRequest, ` +
  'confirmationToken) or the X-Switchboard-* headers. A result with status "confirmation_required" or ' +
  '"verification_required" did not run: do what its instruction says, then call again.';

function contextOrThrow(headers: IncomingHttpHeaders, meta: Record<string, unknown> | undefined): ToolCallContext {
  try {
    return callContextOf(headers, meta);
  } catch (err) {
    if (isSwitchboardError(err)) throw new McpError(ErrorCode.InvalidParams, err.message, { reason: err.reason, fieldErrors: err.fieldErrors });
    throw err;
  }
}

/**
 * One MCP server for one HTTP request of one org (the SDK's stateless Streamable HTTP pattern). It
 * uses the low-level Server so the registry's JSON Schemas reach the client unchanged.
 */
export function createMcpServer(deps: GatewayDeps, principal: OrgPrincipal, headers: IncomingHttpHeaders): Server {
  // The low-level Server is deprecated in favour of McpServer, which wants zod shapes; the JSON Schemas
  // here come from the registry and must pass through untouched, which is the "advanced use" it keeps Server for.
  const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
  const { orgId } = principal;

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    try {
      return { tools: await listOrgTools(deps.registryFor(orgId)) };
    } catch (err) {
      deps.logger.error({ orgId, reason: isSwitchboardError(err) ? err.reason : 'INTERNAL', err: String((err as Error).cause ?? err) }, 'tools/list failed');
      throw new McpError(ErrorCode.InternalError, 'the tool list is not available right now; try again in a moment');
    }
  });

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const toolKey = request.params.name;
    const call = contextOrThrow(headers, request.params._meta);
    const started = performance.now();
    try {
      const response = await invokeTool(deps.executor, { orgId, toolKey, args: request.params.arguments ?? {}, call }, deps.invokeTimeoutMs);
      deps.logger.info(
        { orgId, tool: toolKey, outcome: outcomeToJSON(response.outcome), reason: response.reason, invocationId: response.invocationId, ms: Math.round(performance.now() - started) },
        'tools/call',
      );
      // Another org's tool is as unknown as one that never existed.
      if (response.outcome === Outcome.OUTCOME_NOT_FOUND) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${toolKey}`);
      return toolResultOf(toolKey, response);
    } catch (err) {
      if (err instanceof McpError) throw err;
      const failure = isSwitchboardError(err) ? err : new SwitchboardError('INTERNAL', 'tools/call failed', { cause: err });
      if (failure.reason === 'INVALID_REQUEST') throw new McpError(ErrorCode.InvalidParams, failure.message);
      deps.logger.error({ orgId, tool: toolKey, reason: failure.reason, err: String(failure.cause ?? failure.message) }, 'tools/call failed');
      return unavailableResult(failure.reason);
    }
  });

  return server;
}
