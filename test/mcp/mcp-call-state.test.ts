import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AuthType, HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import type { DeepPartial } from '../executor/helpers.js';
import { waitFor } from '../support/audit-files.js';
import { REDIS_URL } from '../support/stack.js';
import { json, type Upstream } from '../support/upstream.js';
import { startTwoOrgGateway, type TwoOrgGateway } from './mcp-harness.js';

const STRING = ParameterType.PARAMETER_TYPE_STRING;

function tool(upstream: Upstream, extra: DeepPartial<Integration>): Integration {
  return Integration.fromPartial<DeepPartial<Integration>>({
    name: 'Find patient',
    description: 'A call-state tool.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_GET,
    auth: { type: AuthType.AUTH_TYPE_NONE },
    urlTemplate: `${upstream.url}/patients`,
    ...extra,
  });
}

interface Structured {
  outcome: string;
  reason?: string;
  agentMessage?: string;
}

/**
 * MCP sessions keep call state: a session without a call id of its own is one call (the gateway's id
 * for it), so a lookup's exports reach the session's later tools, not another session's, and closing
 * the session ends its state (EndCall).
 */
describe('MCP gateway: call state per session', () => {
  let fixture: TwoOrgGateway;
  let redis: Redis;
  const structured = (r: object) => (r as { structuredContent: Structured }).structuredContent;
  const stateKeys = () => redis.keys(`${fixture.stack.env['REDIS_KEY_PREFIX']}state:${fixture.stack.orgId}:*`);

  beforeAll(async () => {
    fixture = await startTwoOrgGateway({
      upstream: (req, res) => json(res, 200, req.url.startsWith('/patients?') ? { patients: [{ id: 'pat-42' }] } : { ok: true, url: req.url }),
      toolsA: (u) => [
        tool(u, {
          key: 'find_patient',
          parameters: [{ name: 'last_name', type: STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true, description: 'who' }],
          responseMapping: { fields: [{ name: 'found', expression: 'length(patients)' }], exports: { patient_id: 'patients[0].id' } },
        }),
        tool(u, {
          key: 'read_chart',
          name: 'Read chart',
          urlTemplate: `${u.url}/charts/{patient_id}`,
          parameters: [{ name: 'patient_id', type: STRING, location: ParameterLocation.PARAMETER_LOCATION_PATH, required: true, from: 'call.patient_id', description: 'whose' }],
        }),
      ],
      toolsB: (u) => [tool(u, { key: 'b_lookup' })],
    });
    redis = new Redis(REDIS_URL);
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await fixture?.stop();
  });

  it('keeps exports within the session, hides from-parameters from the tool list, and ends the state with the session', async () => {
    const { gateway, tokenA, upstream } = fixture;
    const first: Client = await gateway.connect(tokenA);
    const other: Client = await gateway.connect(tokenA);
    const { tools } = await first.listTools();
    const chart = tools.find((t) => t.name === 'read_chart')!;
    expect(Object.keys(chart.inputSchema.properties ?? {})).toEqual([]);

    expect(structured(await first.callTool({ name: 'read_chart', arguments: {} }))).toMatchObject({ outcome: 'OUTCOME_CALL_STATE_MISSING', agentMessage: 'I need to look that up first (Find patient).' });
    expect(structured(await first.callTool({ name: 'find_patient', arguments: { last_name: 'Lovelace' } })).outcome).toBe('OUTCOME_SUCCESS');
    expect(structured(await first.callTool({ name: 'read_chart', arguments: { patient_id: 'pat-other' } })).outcome).toBe('OUTCOME_SUCCESS');
    expect(upstream.requests.at(-1)!.url).toBe('/charts/pat-42');
    // Another session is another call.
    expect(structured(await other.callTool({ name: 'read_chart', arguments: {} })).outcome).toBe('OUTCOME_CALL_STATE_MISSING');

    expect(await stateKeys()).toHaveLength(1);
    await (first.transport as StreamableHTTPClientTransport).terminateSession();
    await waitFor(async () => ((await stateKeys()).length === 0 ? true : undefined), 'the closed session\'s call state to be deleted');
  });
});
