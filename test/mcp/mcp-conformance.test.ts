import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, ErrorCode, LATEST_PROTOCOL_VERSION, type CallToolResult, type ElicitRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AuthType, BurdenLevel, HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, type Upstream } from '../support/upstream.js';
import { startTwoOrgGateway, type Gateway, type TwoOrgGateway } from './mcp-harness.js';

/**
 * MCP conformance as a stock host meets it: the official SDK client, Streamable HTTP, the current
 * protocol revision, and only what such a host can set (tool name and arguments), except where a
 * test says it plays a call runtime (`_meta`).
 */

const CONTEXT = 'switchboard/context';
const ALLOWED_ORIGIN = 'https://agent.example.com';
const PAGE_SIZE = 2;
const AUTH_FAILURES = 8;

const param = (name: string, location: ParameterLocation) => ({ name, type: ParameterType.PARAMETER_TYPE_STRING, required: true, location, description: name });

function tool(key: string, method: HttpMethod, level: BurdenLevel, upstream: Upstream, extra: Partial<Integration> = {}): Integration {
  const location = method === HttpMethod.HTTP_METHOD_GET || method === HttpMethod.HTTP_METHOD_DELETE ? ParameterLocation.PARAMETER_LOCATION_QUERY : ParameterLocation.PARAMETER_LOCATION_BODY;
  return Integration.fromPartial({
    key,
    name: key.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' '),
    description: `The ${key} tool.`,
    enabled: true,
    method,
    urlTemplate: `${upstream.url}/${key}`,
    parameters: [param('service', location), param('date', location)],
    auth: { type: AuthType.AUTH_TYPE_NONE },
    burden: { level, confirmationPrompt: 'Shall I book a {{ service }} on {{ date }}?', fillerPhrase: 'One moment.', acceptedVerificationMethods: level === BurdenLevel.BURDEN_LEVEL_VERIFIED ? ['otp'] : [] },
    ...extra,
  });
}

const ARGS = { service: 'cleaning', date: '2026-03-03' };

interface Structured {
  status: string;
  outcome: string;
  reason?: string;
  confirmationToken?: string;
  result?: Record<string, unknown>;
  retryable?: boolean;
  fieldErrors?: { field: string }[];
  answer?: string;
}

const structured = (r: object) => (r as CallToolResult).structuredContent as unknown as Structured;
const texts = (r: object) => ((r as CallToolResult).content as { type: string; text: string }[]).map((c) => c.text);

describe('MCP conformance: the official SDK client against the gateway', () => {
  let upstream: Upstream;
  let stack: Stack;
  let gateway: Gateway;
  let tokenA: string;
  let tokenB: string;
  let host: Client;

  const hits = (key: string) => upstream.requests.filter((r) => r.url.split('?')[0] === `/${key}`);
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
  });
  const post = (headers: Record<string, string>, body = initialize) =>
    fetch(new URL('/mcp', gateway.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  let fixture: TwoOrgGateway | undefined;

  beforeAll(async () => {
    const mapping = { fields: [{ name: 'slot', expression: 'slot' }, { name: 'provider', expression: 'provider' }], summaryTemplate: 'Free at {{ slot }}.', maxResultBytes: 0, exports: {}, sensitiveExports: [] };
    const { HTTP_METHOD_GET: GET, HTTP_METHOD_POST: POST, HTTP_METHOD_DELETE: DELETE } = HttpMethod;
    const { BURDEN_LEVEL_CONVERSATIONAL: CONVERSATIONAL, BURDEN_LEVEL_CONFIRMED: CONFIRMED, BURDEN_LEVEL_VERIFIED: VERIFIED } = BurdenLevel;
    fixture = await startTwoOrgGateway({
      upstream: (_req, res) => json(res, 200, { slot: '14:00', provider: 'Dr. Hopper', internal: 'x' }),
      stack: { withLogger: false },
      toolsA: (u) => [
        tool('look_up_slots', GET, CONVERSATIONAL, u, { responseMapping: mapping }),
        tool('book_visit', POST, CONFIRMED, u),
        tool('cancel_visit', DELETE, CONFIRMED, u),
        tool('read_record', GET, VERIFIED, u),
        tool('send_reminder', POST, CONVERSATIONAL, u),
      ],
      toolsB: (u) => [tool('b_only', GET, CONVERSATIONAL, u)],
      gatewayEnv: { MCP_TOOLS_PAGE_SIZE: String(PAGE_SIZE), MCP_ALLOWED_ORIGINS: ALLOWED_ORIGIN, MCP_AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES) },
    });
    ({ upstream, stack, gateway, tokenA, tokenB } = fixture);
    host = await gateway.connect(tokenA);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('initialize: the current protocol revision, tools, instructions and a session', async () => {
    expect(host.getServerVersion()).toMatchObject({ name: 'switchboard' });
    expect(host.getServerCapabilities()).toMatchObject({ tools: {} });
    expect(host.getInstructions()).toContain('confirmation_token');
    const res = await post({ authorization: `Bearer ${tokenA}`, accept: 'application/json, text/event-stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.text()).toContain(`"protocolVersion":"${LATEST_PROTOCOL_VERSION}"`);
  });

  it('tools/list comes in pages, each tool with a title, annotations, and an output schema where the mapping names fields', async () => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await host.listTools(cursor === undefined ? {} : { cursor });
      expect(page.tools.length).toBeLessThanOrEqual(PAGE_SIZE);
      tools.push(...page.tools);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(tools.map((t) => t.name)).toEqual(['book_visit', 'cancel_visit', 'look_up_slots', 'read_record', 'send_reminder']);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('look_up_slots')).toMatchObject({
      title: 'Look Up Slots',
      annotations: { readOnlyHint: true, openWorldHint: true },
      outputSchema: { type: 'object', properties: { result: { properties: { slot: {}, provider: {} } } } },
    });
    expect(byName.get('book_visit')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(byName.get('cancel_visit')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    // Confirmed tools take the token as an optional argument; the others do not.
    expect(byName.get('book_visit')!.inputSchema.properties).toHaveProperty('confirmation_token');
    expect(byName.get('book_visit')!.inputSchema.required).toEqual(['service', 'date']);
    expect(byName.get('send_reminder')!.inputSchema.properties).not.toHaveProperty('confirmation_token');
    await expect(host.listTools({ cursor: Buffer.from('zz').toString('base64url') })).resolves.toEqual({ tools: [] });
    await expect(host.listTools({ cursor: '!!' })).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });

  it('a read tool answers structured content (checked by the client against the output schema) and the same as JSON text', async () => {
    // The SDK client validates against the output schemas of the last page it listed: the one holding look_up_slots.
    const page = await host.listTools({ cursor: Buffer.from('cancel_visit').toString('base64url') });
    expect(page.tools[0]!.name).toBe('look_up_slots');
    const result = await host.callTool({ name: 'look_up_slots', arguments: ARGS });
    expect(result.isError).toBe(false);
    expect(structured(result)).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS', result: { slot: '14:00', provider: 'Dr. Hopper' } });
    expect(texts(result)[0]).toBe('Free at 14:00.');
    expect(JSON.parse(texts(result).at(-1)!)).toEqual(result.structuredContent);
  });

  it('binds one call id per session when the connection names none', async () => {
    const other = await gateway.connect(tokenA);
    await host.callTool({ name: 'send_reminder', arguments: ARGS });
    await host.callTool({ name: 'send_reminder', arguments: ARGS });
    await other.callTool({ name: 'send_reminder', arguments: ARGS });
    const ids = hits('send_reminder').slice(-3).map((r) => r.headers['x-allison-call-id']);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('confirmed, route 1: a host with elicitation is asked the question inside the call, and the tool runs on accept only', async () => {
    const asked: ElicitRequest['params'][] = [];
    let answer: 'accept' | 'decline' = 'accept';
    const elicitingHost = await gateway.connect(tokenA, {}, '/mcp', { capabilities: { elicitation: {} } });
    elicitingHost.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
    const before = hits('book_visit').length;
    const done = await elicitingHost.callTool({ name: 'book_visit', arguments: ARGS });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toBe('Shall I book a cleaning on 2026-03-03?');
    expect(structured(done)).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS' });
    expect(hits('book_visit').length).toBe(before + 1);

    answer = 'decline';
    const declined = await elicitingHost.callTool({ name: 'book_visit', arguments: { ...ARGS, date: '2026-03-04' } });
    expect(asked).toHaveLength(2);
    expect(declined.isError).toBe(false);
    expect(structured(declined)).toMatchObject({ status: 'declined', answer: 'decline' });
    expect(texts(declined)[0]).toContain('Do not call book_visit again');
    expect(hits('book_visit').length).toBe(before + 1);
  });

  it('confirmed, route 2: a stock host\'s model reads what to ask and calls again with confirmation_token; the token works once, for these arguments', async () => {
    const before = hits('book_visit').length;
    const first = await host.callTool({ name: 'book_visit', arguments: ARGS });
    expect(first.isError).toBe(false);
    const ask = structured(first);
    expect(ask).toMatchObject({ status: 'confirmation_required' });
    const token = ask.confirmationToken!;
    expect(texts(first)[0]).toContain('Ask the caller: "Shall I book a cleaning on 2026-03-03?"');
    expect(texts(first)[0]).toContain(`"confirmation_token": "${token}"`);
    expect(hits('book_visit').length).toBe(before);

    const changed = await host.callTool({ name: 'book_visit', arguments: { ...ARGS, date: '2026-03-05', confirmation_token: token } });
    expect(structured(changed)).toMatchObject({ status: 'failed', reason: 'TOKEN_MISMATCH', retryable: false });
    expect(hits('book_visit').length).toBe(before);

    const again = await host.callTool({ name: 'book_visit', arguments: { ...ARGS, confirmation_token: token } });
    expect(structured(again)).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS' });
    expect(hits('book_visit').length).toBe(before + 1);
    expect(JSON.parse(hits('book_visit').at(-1)!.body)).toEqual(ARGS);

    const replay = await host.callTool({ name: 'book_visit', arguments: { ...ARGS, confirmation_token: token } });
    expect(replay.isError).toBe(true);
    expect(structured(replay)).toMatchObject({ status: 'failed', reason: 'TOKEN_ALREADY_USED', retryable: false });
    expect(hits('book_visit').length).toBe(before + 1);
  });

  it('confirmed, route 3: a call runtime hands the token back in _meta["switchboard/context"]', async () => {
    const callId = randomUUID();
    const before = hits('cancel_visit').length;
    const first = await host.callTool({ name: 'cancel_visit', arguments: ARGS, _meta: { [CONTEXT]: { callId } } });
    const token = structured(first).confirmationToken!;
    const done = await host.callTool({ name: 'cancel_visit', arguments: ARGS, _meta: { [CONTEXT]: { callId, confirmationToken: token } } });
    expect(structured(done)).toMatchObject({ status: 'ok' });
    expect(hits('cancel_visit').length).toBe(before + 1);
    expect(hits('cancel_visit').at(-1)!.headers['x-allison-call-id']).toBe(callId);
  });

  it('a verified tool says what verification it needs and how it is passed, and runs with it', async () => {
    const before = hits('read_record').length;
    const refused = await host.callTool({ name: 'read_record', arguments: ARGS });
    expect(refused.isError).toBe(false);
    expect(structured(refused)).toMatchObject({ status: 'verification_required', retryable: false });
    const instruction = texts(refused)[1]!;
    expect(instruction).toContain('one of: otp');
    expect(instruction).toContain('_meta["switchboard/context"].verification');
    expect(instruction).toContain('X-Switchboard-Verification-Method');
    const verified = await gateway.connect(tokenA, { 'X-Switchboard-Verification-Method': 'otp', 'X-Switchboard-Verification-Reference': 'otp-1' });
    expect(structured(await verified.callTool({ name: 'read_record', arguments: ARGS }))).toMatchObject({ status: 'ok' });
    expect(hits('read_record').length).toBe(before + 1);
  });

  it('bad arguments are a tool error the model can correct, naming each field; nothing runs', async () => {
    const before = upstream.requests.length;
    const result = await host.callTool({ name: 'send_reminder', arguments: { service: 'cleaning', surprise: 1 } });
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ status: 'failed', outcome: 'OUTCOME_INVALID_ARGUMENTS', retryable: false });
    expect(structured(result).fieldErrors!.map((f) => f.field).sort()).toEqual(['date', 'surprise']);
    expect(upstream.requests.length).toBe(before);
  });

  it('an unknown tool (another org\'s included) is invalid params, said once', async () => {
    for (const name of ['no_such_tool', 'b_only']) {
      const error = await host.callTool({ name, arguments: ARGS }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.InvalidParams, message: `MCP error -32602: Unknown tool: ${name}` });
    }
  });

  it('absent, wrong and other-org tokens: 401, and another org\'s session is not found', async () => {
    const accept = 'application/json, text/event-stream';
    expect((await post({ accept })).status).toBe(401);
    expect((await post({ accept, authorization: `Bearer sbt_${'Z'.repeat(43)}` })).status).toBe(401);
    await expect(gateway.connect(`sbt_${'Y'.repeat(43)}`)).rejects.toMatchObject({ code: 401 });
    await expect(gateway.connect(tokenB, {}, `/mcp/${stack.orgId}`)).rejects.toMatchObject({ code: 401 });

    const hostB = await gateway.connect(tokenB);
    expect((await hostB.listTools()).tools.map((t) => t.name)).toEqual(['b_only']);
    const sessionA = (host.transport as { sessionId?: string } | undefined)?.sessionId;
    expect(sessionA).toEqual(expect.any(String));
    const hijack = await post(
      { accept, authorization: `Bearer ${tokenB}`, 'mcp-session-id': sessionA!, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    );
    expect(hijack.status).toBe(404);
    expect(await hijack.text()).not.toContain('look_up_slots');
  });

  it('a foreign Origin gets 403 even with a good token; an allow-listed one is served', async () => {
    const accept = 'application/json, text/event-stream';
    const foreign = await post({ accept, authorization: `Bearer ${tokenA}`, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { message: expect.stringContaining('Origin') as string } });
    const rebound = await post({ accept, authorization: `Bearer ${tokenA}`, origin: gateway.url });
    expect(rebound.status).toBe(403);
    const allowed = await post({ accept, authorization: `Bearer ${tokenA}`, origin: ALLOWED_ORIGIN });
    expect(allowed.status).toBe(200);
    await allowed.text();
  });

  it('a client that accepts only application/json gets JSON answers in its session', async () => {
    const opened = await post({ accept: 'application/json', authorization: `Bearer ${tokenA}` });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/^application\/json/);
    const session = opened.headers.get('mcp-session-id')!;
    expect(await opened.json()).toMatchObject({ result: { protocolVersion: LATEST_PROTOCOL_VERSION } });
    const headers = { accept: 'application/json', authorization: `Bearer ${tokenA}`, 'mcp-session-id': session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    expect((await post(headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);
    const call = await post(headers, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'look_up_slots', arguments: ARGS } }));
    expect(call.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await call.json()).toMatchObject({ id: 3, result: { structuredContent: { status: 'ok' } } });
    expect((await post({ accept: 'text/html', authorization: `Bearer ${tokenA}` })).status).toBe(406);
  });

  // Last: it leaves this test process's address throttled for a minute.
  it('bearer failures are throttled: 429 with Retry-After, then even a good token waits', async () => {
    const accept = 'application/json, text/event-stream';
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURES + 1; i++) statuses.push((await post({ accept, authorization: `Bearer sbt_${String(i).padStart(43, 'x')}` })).status);
    // The failures of the tests above still count (no success resets them): 401s until the limit, then 429.
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThan(0);
    expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    const good = await post({ accept, authorization: `Bearer ${tokenA}` });
    expect(good.status).toBe(429);
    expect(Number(good.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(good.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });
});
