import type { IncomingHttpHeaders } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { Outcome, outcomeToJSON, type InvokeResponse } from '@switchboard/contracts';
import { MAX_ARGUMENTS_DEPTH, nestsDeeperThan, TOO_DEEP_MESSAGE } from '@switchboard/definition';
import { isSwitchboardError, reasonEntry, SwitchboardError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logging';
import { callContextOf, CONTEXT_META_KEY, type ToolCallContext } from './call-context.js';
import { burdenOf, CONFIRMATION_ARGUMENT, takeConfirmationArgument, withConfirmationArgument } from './confirmation-argument.js';
import { askToConfirm, canElicit } from './confirmation-elicitation.js';
import type { OrgPrincipal } from './org-auth.js';
import { internalError, invalidParams, ProtocolError } from './protocol-error.js';
import { invokeTool, type ToolInvoker } from './tool-call.js';
import { listOrgTools, type ToolSource } from './tool-list.js';
import { pageOfTools } from './tool-page.js';
import { declinedResult, toolResultOf, unavailableResult } from './tool-result.js';

export interface GatewayDeps {
  /** The registry, scoped to one org (the token's). */
  readonly registryFor: (orgId: string) => ToolSource;
  readonly executor: ToolInvoker;
  readonly invokeTimeoutMs: number;
  readonly elicitationTimeoutMs: number;
  readonly toolsPageSize: number;
  readonly logger: Logger;
}

/** What one MCP server instance serves: one session of one org. */
export interface SessionScope {
  readonly principal: OrgPrincipal;
  /** The call id of a tools/call that names none. */
  readonly callId: string;
  /** Whether server-to-client requests can reach this client (its responses come as event streams). */
  readonly canAsk: boolean;
}

const SERVER_INFO = { name: 'switchboard', title: 'Switchboard', version: '0.1.0' };

const INSTRUCTIONS =
  "These tools are this organisation's Switchboard integrations, run with the same rules as on a phone call. " +
  'A result whose structuredContent.status is "confirmation_required" or "verification_required" did not run: its ' +
  `text says exactly what to ask and how to call again (confirmed tools take the optional ${CONFIRMATION_ARGUMENT} argument). ` +
  `A call runtime can pass the live call's context in _meta["${CONTEXT_META_KEY}"] (callId, callerNumber, verification, ` +
  'callerRequest, confirmationToken) or the X-Switchboard-* headers.';

function contextOrThrow(headers: IncomingHttpHeaders, meta: Record<string, unknown> | undefined): ToolCallContext {
  try {
    return callContextOf(headers, meta);
  } catch (err) {
    if (isSwitchboardError(err)) throw invalidParams(err.message, { reason: err.reason, fieldErrors: err.fieldErrors });
    throw err;
  }
}

/**
 * The MCP server of one session. It uses the low-level Server so the registry's JSON Schemas reach
 * the client unchanged (McpServer wants zod shapes), and so a confirmed tool can ask its question
 * through elicitation inside the tools/call that needs it.
 */
export function createMcpServer(deps: GatewayDeps, scope: SessionScope): Server {
  // The low-level Server is deprecated in favour of McpServer, which wants zod shapes; the JSON Schemas
  // here come from the registry and must pass through untouched, which is the "advanced use" it keeps Server for.
  const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
  const { orgId } = scope.principal;

  const orgTools = async (): Promise<Tool[]> => {
    try {
      return (await listOrgTools(deps.registryFor(orgId))).map(withConfirmationArgument);
    } catch (err) {
      deps.logger.error({ orgId, reason: isSwitchboardError(err) ? err.reason : 'INTERNAL', err: String((err as Error).cause ?? err) }, 'tools/list failed');
      throw internalError('the tool list is not available right now; try again in a moment');
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, async (request) => pageOfTools(await orgTools(), request.params?.cursor, deps.toolsPageSize));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const toolKey = request.params.name;
    const givenArgs = request.params.arguments ?? {};
    // Checked before anything serialises them: JSON.stringify overflows the stack on deep nesting (an internal error).
    if (nestsDeeperThan(givenArgs, MAX_ARGUMENTS_DEPTH)) throw invalidParams(TOO_DEEP_MESSAGE);
    const { args, token } = takeConfirmationArgument(givenArgs);
    const given = contextOrThrow(extra.requestInfo?.headers ?? {}, request.params._meta);
    // The _meta route wins over the argument: a runtime that sets it knows what it confirmed.
    const context = given.context.confirmationToken === '' && token !== '' ? { ...given.context, confirmationToken: token } : given.context;
    const call: ToolCallContext = { callId: given.callId === '' ? scope.callId : given.callId, context };
    const started = performance.now();
    const invoke = async (c: ToolCallContext): Promise<InvokeResponse> => {
      const response = await invokeTool(deps.executor, { orgId, toolKey, args, call: c }, deps.invokeTimeoutMs);
      deps.logger.info(
        { orgId, tool: toolKey, outcome: outcomeToJSON(response.outcome), reason: response.reason, invocationId: response.invocationId, ms: Math.round(performance.now() - started) },
        'tools/call',
      );
      // Another org's tool is as unknown as one that never existed.
      if (response.outcome === Outcome.OUTCOME_NOT_FOUND) throw invalidParams(`Unknown tool: ${toolKey}`);
      return response;
    };
    try {
      const response = await invoke(call);
      const issued = response.confirmation?.token ?? '';
      if (response.outcome === Outcome.OUTCOME_CONFIRMATION_REQUIRED && issued !== '' && scope.canAsk && canElicit(server)) {
        const answer = await askToConfirm(server, response.confirmation?.prompt ?? '', { relatedRequestId: extra.requestId, timeoutMs: deps.elicitationTimeoutMs, signal: extra.signal });
        if (answer === 'accept') return toolResultOf(toolKey, await invoke({ ...call, context: { ...call.context, confirmationToken: issued } }));
        if (answer !== 'unanswered') return declinedResult(toolKey, response, answer);
      }
      if (response.outcome === Outcome.OUTCOME_VERIFICATION_REQUIRED) {
        const listed = await orgTools().catch(() => []);
        const tool = listed.find((t) => t.name === toolKey);
        return toolResultOf(toolKey, response, tool === undefined ? undefined : burdenOf(tool));
      }
      return toolResultOf(toolKey, response);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      const failure = isSwitchboardError(err) ? err : new SwitchboardError('INTERNAL', 'tools/call failed', { cause: err });
      if (reasonEntry(failure.reason).grpc === 'INVALID_ARGUMENT') throw invalidParams(failure.message);
      deps.logger.error({ orgId, tool: toolKey, reason: failure.reason, err: failure.cause instanceof Error ? failure.cause.message : failure.message }, 'tools/call failed');
      return unavailableResult(failure.reason);
    }
  });

  return server;
}
