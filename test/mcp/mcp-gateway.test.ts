import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AuthType, BurdenLevel, HttpMethod, Integration, ParameterLocation, ParameterType, ToolFormat } from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import type { Stack } from '../support/stack.js';
import { json, type Upstream } from '../support/upstream.js';
import { startTwoOrgGateway, type Gateway, type TwoOrgGateway } from './mcp-harness.js';

function tool(key: string, level: BurdenLevel, upstream: Upstream, extra: Partial<Integration> = {}): Integration {
  return Integration.fromPartial({
    key,
    name: key.replaceAll('_', ' '),
    description: `The ${key} tool.`,
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: `${upstream.url}/${key}`,
    parameters: [
      { name: 'service', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'what' },
      { name: 'date', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'when' },
    ],
    auth: { type: AuthType.AUTH_TYPE_NONE },
    burden: { level, confirmationPrompt: 'Shall I book a {{ service }} on {{ date }}?', fillerPhrase: 'One moment while I look.' },
    ...extra,
  });
}

const verified = (key: string, upstream: Upstream) =>
  tool(key, BurdenLevel.BURDEN_LEVEL_VERIFIED, upstream, {
    burden: { level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['dob_phone_match', 'otp'], confirmationPrompt: '', fillerPhrase: '' },
  });

const ARGS = { service: 'cleaning', date: '2026-03-03' };
const CONTEXT = 'switchboard/context';

interface Structured {
  status: string;
  outcome: string;
  reason?: string;
  invocationId: string;
  prompt?: string;
  confirmationToken?: string;
  result?: unknown;
  agentMessage?: string;
}

describe('MCP gateway: an org\'s integrations as MCP tools, run through the executor', () => {
  let upstream: Upstream;
  let stack: Stack;
  let gateway: Gateway;
  let orgB: string;
  let tokenA: string;
  let tokenB: string;
  let clientA: Client;

  const hits = (key: string) => upstream.requests.filter((r) => r.url === `/${key}`).length;
  // callTool answers a union (with the legacy `toolResult` shape); the gateway always sends structuredContent.
  const structured = (r: object) => (r as { structuredContent: Structured }).structuredContent;

  let fixture: TwoOrgGateway | undefined;

  beforeAll(async () => {
    fixture = await startTwoOrgGateway({
      upstream: (_req, res) => json(res, 200, { booked: true, slot: '14:00' }),
      toolsA: (u) => [tool('look_up_slots', BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, u), tool('book_visit', BurdenLevel.BURDEN_LEVEL_CONFIRMED, u), verified('read_record', u)],
      toolsB: (u) => [tool('b_send_invoice', BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, u), verified('b_records', u)],
    });
    ({ upstream, stack, gateway, orgB, tokenA, tokenB } = fixture);
    clientA = await gateway.connect(tokenA);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('lists the org\'s tools with exactly the schemas of ListTools in MCP format', async () => {
    const expected = JSON.parse((await stack.registryClient.tools(ToolFormat.TOOL_FORMAT_MCP)).documentJson) as { tools: unknown[] };
    const listed = await clientA.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(['book_visit', 'look_up_slots', 'read_record']);
    // Unchanged, but for the confirmation_token argument a stock host's model confirms with.
    const { confirmation_token: added, ...properties } = listed.tools[0]!.inputSchema.properties!;
    expect(added).toMatchObject({ type: 'string' });
    expect([{ ...listed.tools[0], inputSchema: { ...listed.tools[0]!.inputSchema, properties } }, ...listed.tools.slice(1)]).toEqual(expected.tools);
    const book = listed.tools.find((t) => t.name === 'book_visit')!;
    expect(book.inputSchema).toMatchObject({ type: 'object', required: ['service', 'date'], additionalProperties: false });
    expect(book.description).toContain('The caller must confirm before this runs.');
  });

  it('runs a tool through the executor: the upstream gets the X-Allison-* headers with the call id passed, and the audit has it', async () => {
    const callId = randomUUID();
    const client = await gateway.connect(tokenA, { 'X-Switchboard-Call-Id': callId });
    const before = hits('look_up_slots');
    const result = await client.callTool({ name: 'look_up_slots', arguments: ARGS });
    expect(result.isError).toBe(false);
    const body = structured(result);
    expect(body).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS', result: { booked: true, slot: '14:00' } });
    expect(hits('look_up_slots')).toBe(before + 1);
    const seen = upstream.requests.filter((r) => r.url === '/look_up_slots').at(-1)!;
    expect(seen.headers['x-allison-call-id']).toBe(callId);
    expect(seen.headers['x-allison-org-id']).toBe(stack.orgId);
    expect(seen.headers['x-allison-tool-key']).toBe('look_up_slots');
    expect(JSON.parse(seen.body)).toEqual(ARGS);
    const line = await waitFor(() => readAuditLines(stack.auditDir).find((l) => l['invocationId'] === body.invocationId), 'the audit line');
    expect(line).toMatchObject({ orgId: stack.orgId, callId, toolKey: 'look_up_slots' });
  });

  it('a confirmed tool: the first call asks for confirmation with prompt and token, the second runs it once', async () => {
    const callId = randomUUID();
    const before = hits('book_visit');
    const first = await clientA.callTool({ name: 'book_visit', arguments: ARGS, _meta: { [CONTEXT]: { callId } } });
    expect(first.isError).toBe(false);
    const ask = structured(first);
    expect(ask).toMatchObject({ status: 'confirmation_required', outcome: 'OUTCOME_CONFIRMATION_REQUIRED', prompt: 'Shall I book a cleaning on 2026-03-03?' });
    expect(ask.confirmationToken).toEqual(expect.any(String));
    expect(ask.confirmationToken).not.toBe('');
    expect(JSON.stringify(first.content)).toContain('Shall I book a cleaning on 2026-03-03?');
    expect(hits('book_visit')).toBe(before);

    const confirmed = { [CONTEXT]: { callId, confirmationToken: ask.confirmationToken } };
    const second = await clientA.callTool({ name: 'book_visit', arguments: ARGS, _meta: confirmed });
    expect(second.isError).toBe(false);
    expect(structured(second)).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS' });
    expect(hits('book_visit')).toBe(before + 1);
    expect(upstream.requests.filter((r) => r.url === '/book_visit').at(-1)!.headers['x-allison-call-id']).toBe(callId);

    const replay = await clientA.callTool({ name: 'book_visit', arguments: ARGS, _meta: confirmed });
    expect(replay.isError).toBe(true);
    expect(structured(replay)).toMatchObject({ status: 'failed', outcome: 'OUTCOME_POLICY_BLOCKED', reason: 'TOKEN_ALREADY_USED' });
    expect(hits('book_visit')).toBe(before + 1);
  });

  it('a verified tool is refused without verification and runs with it', async () => {
    const callId = randomUUID();
    const before = hits('read_record');
    const refused = await clientA.callTool({ name: 'read_record', arguments: ARGS, _meta: { [CONTEXT]: { callId } } });
    expect(refused.isError).toBe(false);
    expect(structured(refused)).toMatchObject({ status: 'verification_required', outcome: 'OUTCOME_VERIFICATION_REQUIRED' });
    expect(structured(refused).agentMessage).toEqual(expect.any(String));
    expect(hits('read_record')).toBe(before);

    const wrongMethod = await clientA.callTool({
      name: 'read_record',
      arguments: ARGS,
      _meta: { [CONTEXT]: { callId, verification: { method: 'caller_said_so' } } },
    });
    expect(structured(wrongMethod).status).not.toBe('ok');
    expect(hits('read_record')).toBe(before);

    const client = await gateway.connect(tokenA, { 'X-Switchboard-Call-Id': callId, 'X-Switchboard-Verification-Method': 'otp' });
    const allowed = await client.callTool({ name: 'read_record', arguments: ARGS });
    expect(structured(allowed)).toMatchObject({ status: 'ok', outcome: 'OUTCOME_SUCCESS' });
    expect(hits('read_record')).toBe(before + 1);
  });

  it('refuses a malformed call context as invalid params, before anything runs', async () => {
    const before = upstream.requests.length;
    const bad = clientA.callTool({ name: 'look_up_slots', arguments: ARGS, _meta: { [CONTEXT]: { callId: 'x\u0000y', surprise: true } } });
    await expect(bad).rejects.toBeInstanceOf(McpError);
    await expect(bad).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    expect(upstream.requests.length).toBe(before);
  });

  it('answers 401, the same way, to a missing, malformed, unknown or revoked token and to another org\'s path', async () => {
    const revoked = await gateway.tokens.create(stack.orgId, 'to-revoke');
    expect(await gateway.tokens.revoke(stack.orgId, revoked.info.tokenId)).toBe(true);
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
    });
    const post = (path: string, authorization?: string) =>
      fetch(new URL(path, gateway.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
        body: initialize,
      });
    const refusals = [
      await post('/mcp'),
      await post('/mcp', 'Bearer nonsense'),
      await post('/mcp', `Basic ${Buffer.from(`x:${tokenA}`).toString('base64')}`),
      await post('/mcp', `Bearer sbt_${'A'.repeat(43)}`),
      await post('/mcp', `Bearer ${revoked.token}`),
      await post(`/mcp/${orgB}`, `Bearer ${tokenA}`),
    ];
    const bodies = new Set<string>();
    for (const res of refusals) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    const [body] = [...bodies];
    expect(body).not.toContain(orgB);
    expect(body).not.toContain(stack.orgId);

    const own = await post(`/mcp/${stack.orgId}`, `Bearer ${tokenA}`);
    expect(own.status).toBe(200);
    await own.text();
    await expect(gateway.connect(`sbt_${'B'.repeat(43)}`)).rejects.toMatchObject({ code: 401 });
    await expect(gateway.connect(revoked.token)).rejects.toMatchObject({ code: 401 });
    expect(gateway.process.lines().join('\n')).not.toContain(tokenA.slice(4));
    expect(gateway.process.lines().join('\n')).not.toContain(revoked.token.slice(4));
  });

  it('serves POST (and DELETE of a session) on /mcp only: other methods, paths and oversized bodies are refused', async () => {
    const auth = { authorization: `Bearer ${tokenA}` };
    expect((await fetch(new URL('/mcp', gateway.url), { headers: auth })).status).toBe(405);
    expect((await fetch(new URL('/mcp', gateway.url), { method: 'DELETE', headers: auth })).status).toBe(400);
    expect((await fetch(new URL('/tools', gateway.url), { headers: auth })).status).toBe(404);
    const huge = await fetch(new URL('/mcp', gateway.url), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(300 * 1024) } }),
    });
    expect(huge.status).toBe(413);
    expect(gateway.process.isRunning()).toBe(true);
  });

  it('answers arguments nested 100,000 deep with invalid params (-32602), not an internal error', async () => {
    const before = hits('look_up_slots');
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const res = await fetch(new URL('/mcp', gateway.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokenA}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        // In the connected client's session: the SDK client itself cannot send a value this deep.
        'mcp-session-id': (clientA.transport as { sessionId?: string } | undefined)?.sessionId ?? '',
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      },
      // Written by hand: JSON.stringify itself cannot write a value this deep.
      body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"look_up_slots","arguments":{"service":${nested},"date":"2026-03-03"}}}`,
    });
    const text = await res.text();
    // A JSON body or one server-sent event, depending on the transport's choice.
    const message = JSON.parse(text.trimStart().startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}')) as { id: number; error?: { code: number; message: string } };
    expect(message.id).toBe(7);
    expect(message.error).toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringContaining('nested more than 32 levels deep') as unknown });
    expect(hits('look_up_slots')).toBe(before);
    expect(gateway.process.isRunning()).toBe(true);
  });

  it("org A's token can neither list nor call org B's tools, and B's token sees only B's", async () => {
    const listedA = (await clientA.listTools()).tools.map((t) => t.name);
    expect(listedA).not.toContain('b_send_invoice');
    expect(listedA).not.toContain('b_records');
    const before = hits('b_send_invoice');
    const call = clientA.callTool({ name: 'b_send_invoice', arguments: ARGS, _meta: { [CONTEXT]: { callId: randomUUID() } } });
    await expect(call).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    expect(hits('b_send_invoice')).toBe(before);
    await expect(gateway.connect(tokenA, {}, `/mcp/${orgB}`)).rejects.toMatchObject({ code: 401 });

    const clientB = await gateway.connect(tokenB, { 'X-Switchboard-Call-Id': randomUUID() });
    expect((await clientB.listTools()).tools.map((t) => t.name)).toEqual(['b_records', 'b_send_invoice']);
    await expect(clientB.callTool({ name: 'look_up_slots', arguments: ARGS })).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    const own = await clientB.callTool({ name: 'b_send_invoice', arguments: ARGS });
    expect(structured(own)).toMatchObject({ status: 'ok' });
    expect(hits('b_send_invoice')).toBe(before + 1);
    expect(upstream.requests.filter((r) => r.url === '/b_send_invoice').at(-1)!.headers['x-allison-org-id']).toBe(orgB);
  });
});
