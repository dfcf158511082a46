import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import {
  CreateIntegrationRequest,
  CredentialType,
  DeleteCredentialRequest,
  DeleteIntegrationRequest,
  EndCallRequest,
  DeliveryServiceService,
  ExecutorServiceService,
  GetIntegrationRequest,
  HttpMethod,
  Integration,
  InvokeRequest,
  ListCredentialsRequest,
  ListDeliveriesRequest,
  ListIntegrationsRequest,
  ListRevisionsRequest,
  ListToolsRequest,
  PrefetchAmbientRequest,
  PutCredentialRequest,
  RegistryServiceService,
  RetryDeliveryRequest,
  TestRequest,
  ToolFormat,
  UpdateIntegrationRequest,
} from '@switchboard/contracts';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { runCli } from '../registry/registry-helpers.js';
import { shippedServiceIdentities } from '../support/k8s-render.js';
import { sendRaw, type RawAnswer } from '../support/raw-grpc.js';
import { startGateway } from '../mcp/mcp-harness.js';
import { NATS_URL, startStack, type Stack } from '../support/stack.js';

/**
 * Issue 17 item 5: every RPC of the registry and the executor, called by every kind of caller, for
 * its own org and for another, against the real processes. SECURITY.md's table of callers × methods
 * × orgs is this matrix.
 */
const token = (label: string) => `${label}-${randomBytes(16).toString('hex')}`;
const LEGACY = token('legacy');
const IDENTITY_TOKENS = { console: token('console'), 'mcp-gateway': token('gateway'), runtime: token('runtime') };
type Identity = keyof typeof IDENTITY_TOKENS;

/**
 * The allow-lists the Kubernetes manifests ship, separately for each server; ALLOWED is what SECURITY.md's
 * table says they mean (test/security/authorization-table.test.ts keeps the two in step).
 */
const REGISTRY_IDENTITIES = shippedServiceIdentities('registry');
const EXECUTOR_IDENTITIES = shippedServiceIdentities('executor');
const ALLOWED: Record<Identity, Record<'registry' | 'executor', readonly string[] | '*'>> = {
  console: { registry: '*', executor: ['Test', 'ListDeliveries', 'RetryDelivery'] },
  'mcp-gateway': { registry: ['ListTools'], executor: ['Invoke', 'EndCall'] },
  runtime: { registry: ['ListTools'], executor: ['Invoke', 'PrefetchAmbient', 'EndCall'] },
};

const KEY = 'lookup';
const definition = Integration.fromPartial({
  key: KEY,
  name: 'Lookup',
  description: 'Looks a booking up.',
  enabled: true,
  method: HttpMethod.HTTP_METHOD_GET,
  urlTemplate: 'https://pms.example.invalid/bookings',
});

interface Rpc {
  readonly server: 'registry' | 'executor';
  readonly method: string;
  readonly path: string;
  /** A request whose answer does not change when it is repeated (so every caller meets the same state), encoded. */
  readonly bytes: (orgId: string) => Buffer;
}

function rpc<Req>(server: Rpc['server'], method: string, def: { path: string; requestSerialize: (r: Req) => Buffer }, request: (orgId: string) => Req): Rpc {
  return { server, method, path: def.path, bytes: (orgId) => def.requestSerialize(request(orgId)) };
}

const RPCS: readonly Rpc[] = [
  rpc('registry', 'CreateIntegration', RegistryServiceService.createIntegration, (orgId) => CreateIntegrationRequest.fromPartial({ orgId, integration: definition })),
  rpc('registry', 'GetIntegration', RegistryServiceService.getIntegration, (orgId) => GetIntegrationRequest.fromPartial({ orgId, key: KEY })),
  rpc('registry', 'ListIntegrations', RegistryServiceService.listIntegrations, (orgId) => ListIntegrationsRequest.fromPartial({ orgId })),
  rpc('registry', 'UpdateIntegration', RegistryServiceService.updateIntegration, (orgId) =>
    UpdateIntegrationRequest.fromPartial({ orgId, integration: definition, expectedRevision: 999_999 }),
  ),
  rpc('registry', 'DeleteIntegration', RegistryServiceService.deleteIntegration, (orgId) => DeleteIntegrationRequest.fromPartial({ orgId, key: KEY, expectedRevision: 999_999 })),
  rpc('registry', 'ListRevisions', RegistryServiceService.listRevisions, (orgId) => ListRevisionsRequest.fromPartial({ orgId, key: KEY })),
  rpc('registry', 'PutCredential', RegistryServiceService.putCredential, (orgId) =>
    PutCredentialRequest.fromPartial({ orgId, credentialId: 'pms', type: CredentialType.CREDENTIAL_TYPE_BEARER, secret: { token: 'not-a-real-token' } }),
  ),
  rpc('registry', 'ListCredentials', RegistryServiceService.listCredentials, (orgId) => ListCredentialsRequest.fromPartial({ orgId })),
  rpc('registry', 'DeleteCredential', RegistryServiceService.deleteCredential, (orgId) => DeleteCredentialRequest.fromPartial({ orgId, credentialId: 'never-made' })),
  rpc('registry', 'ListTools', RegistryServiceService.listTools, (orgId) => ListToolsRequest.fromPartial({ orgId, format: ToolFormat.TOOL_FORMAT_OPENAI })),
  rpc('executor', 'Invoke', ExecutorServiceService.invoke, (orgId) => InvokeRequest.fromPartial({ orgId, toolKey: 'never-made', argumentsJson: '{}' })),
  rpc('executor', 'PrefetchAmbient', ExecutorServiceService.prefetchAmbient, (orgId) => PrefetchAmbientRequest.fromPartial({ orgId, deadlineMs: 500 })),
  rpc('executor', 'EndCall', ExecutorServiceService.endCall, (orgId) => EndCallRequest.fromPartial({ orgId, callId: 'never-made' })),
  rpc('executor', 'Test', ExecutorServiceService.test, (orgId) => TestRequest.fromPartial({ orgId, toolKey: 'never-made', argumentsJson: '{}' })),
  rpc('executor', 'ListDeliveries', DeliveryServiceService.listDeliveries, (orgId) => ListDeliveriesRequest.fromPartial({ orgId })),
  rpc('executor', 'RetryDelivery', DeliveryServiceService.retryDelivery, (orgId) => RetryDeliveryRequest.fromPartial({ orgId, deliveryId: 'never-made' })),
];

type Answer = RawAnswer;

describe('tenant authorization: every RPC × caller × own/other org', () => {
  let stack: Stack;
  const clients = new Map<string, Client>();
  let orgToken: string;
  let tokens: OrgTokenStore;
  let nc: NatsConnection;
  let other: string;

  const clientOf = (server: Rpc['server']): Client => {
    const address = `127.0.0.1:${server === 'registry' ? stack.registry.port : stack.executor.port}`;
    let client = clients.get(address);
    if (!client) {
      client = new Client(address, credentials.createInsecure());
      clients.set(address, client);
    }
    return client;
  };

  const call = (r: Rpc, orgId: string, bearer: string | undefined): Promise<Answer> => {
    const md = new Metadata();
    if (bearer !== undefined) md.set('authorization', `Bearer ${bearer}`);
    return sendRaw(clientOf(r.server), r.path, r.bytes(orgId), md);
  };

  beforeAll(async () => {
    stack = await startStack({
      withLogger: false,
      env: {
        SERVICE_TOKEN: LEGACY,
        SERVICE_IDENTITIES: REGISTRY_IDENTITIES,
        SERVICE_TOKEN_CONSOLE: IDENTITY_TOKENS.console,
        SERVICE_TOKEN_MCP_GATEWAY: IDENTITY_TOKENS['mcp-gateway'],
        SERVICE_TOKEN_RUNTIME: IDENTITY_TOKENS.runtime,
      },
      executorEnv: { SERVICE_IDENTITIES: EXECUTOR_IDENTITIES },
    });
    other = `${stack.orgId}-other`;
    nc = await connect({ servers: NATS_URL });
    tokens = await OrgTokenStore.open(nc, { bucket: stack.env['ORG_TOKENS_BUCKET']! });
    orgToken = (await tokens.create(stack.orgId, 'cli')).token;
    // Both orgs hold the integration and the credential, so "other org" means a thing that exists.
    for (const orgId of [stack.orgId, other]) {
      expect((await call(RPCS[0]!, orgId, LEGACY)).code).toBe('OK');
      expect((await call(RPCS[6]!, orgId, LEGACY)).code).toBe('OK');
    }
  });

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await nc?.close();
    await stack?.stop();
  });

  it('answers every call exactly as the table in SECURITY.md says', async () => {
    const callers: readonly { name: string; bearer: string | undefined; allowed: (r: Rpc, own: boolean) => Answer | 'handler' }[] = [
      { name: 'no credential', bearer: undefined, allowed: () => ({ code: 'UNAUTHENTICATED', reason: 'SERVICE_NOT_AUTHORISED', details: '' }) },
      { name: 'wrong token', bearer: token('wrong'), allowed: () => ({ code: 'UNAUTHENTICATED', reason: 'SERVICE_NOT_AUTHORISED', details: '' }) },
      {
        name: 'unknown org token',
        bearer: `sbt_${randomBytes(32).toString('base64url')}`,
        allowed: () => ({ code: 'UNAUTHENTICATED', reason: 'SERVICE_NOT_AUTHORISED', details: '' }),
      },
      { name: 'legacy SERVICE_TOKEN', bearer: LEGACY, allowed: () => 'handler' },
      {
        name: 'org token',
        bearer: undefined, // set below, once the token exists
        allowed: (_r, own) => (own ? 'handler' : { code: 'PERMISSION_DENIED', reason: 'ORG_NOT_PERMITTED', details: '' }),
      },
      ...(Object.keys(IDENTITY_TOKENS) as Identity[]).map((identity) => ({
        name: `service identity ${identity}`,
        bearer: IDENTITY_TOKENS[identity],
        allowed: (r: Rpc): Answer | 'handler' => {
          const list = ALLOWED[identity][r.server];
          return list === '*' || list.includes(r.method) ? 'handler' : { code: 'PERMISSION_DENIED', reason: 'METHOD_NOT_PERMITTED', details: '' };
        },
      })),
    ];

    // What each RPC answers when its handler runs (with full access): the allowed callers must get exactly this.
    const reference = new Map<string, Answer>();
    for (const r of RPCS) {
      for (const orgId of [stack.orgId, other]) {
        const answer = await call(r, orgId, LEGACY);
        expect(['UNAUTHENTICATED', 'PERMISSION_DENIED', 'INTERNAL'], `${r.method} with full access`).not.toContain(answer.code);
        reference.set(`${r.method} ${orgId}`, answer);
      }
    }

    const mismatches: string[] = [];
    let cells = 0;
    for (const caller of callers) {
      const bearer = caller.name === 'org token' ? orgToken : caller.bearer;
      for (const r of RPCS) {
        for (const [orgId, own] of [[stack.orgId, true], [other, false]] as const) {
          const got = await call(r, orgId, bearer);
          const rule = caller.allowed(r, own);
          const want = rule === 'handler' ? reference.get(`${r.method} ${orgId}`)! : rule;
          cells++;
          if (got.code !== want.code || got.reason !== want.reason) {
            mismatches.push(`${caller.name} → ${r.server}.${r.method} (${own ? 'own' : 'other'} org): want ${want.code}/${want.reason}, got ${got.code}/${got.reason} ${got.details}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(cells).toBe(8 * RPCS.length * 2);
  });

  it("refuses another org's thing exactly like a missing one, before reading anything", async () => {
    const exists = RPCS.find((r) => r.method === 'GetIntegration')!;
    const missing = rpc('registry', 'GetIntegration', RegistryServiceService.getIntegration, (orgId) => GetIntegrationRequest.fromPartial({ orgId, key: 'never-made' }));
    const nowhere = `${stack.orgId}-nowhere`;
    const answers = [await call(exists, other, orgToken), await call(missing, other, orgToken), await call(exists, nowhere, orgToken)];
    expect(answers[0]).toEqual({ code: 'PERMISSION_DENIED', reason: 'ORG_NOT_PERMITTED', details: 'this org token acts only for its own org' });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('refuses a revoked org token on the very next call', async () => {
    const created = await tokens.create(stack.orgId, 'short-lived');
    const list = RPCS.find((r) => r.method === 'ListIntegrations')!;
    expect((await call(list, stack.orgId, created.token)).code).toBe('OK');
    await tokens.revoke(stack.orgId, created.info.tokenId);
    expect(await call(list, stack.orgId, created.token)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SERVICE_NOT_AUTHORISED' });
  });

  it('the CLI acts with an org token (--token or SWITCHBOARD_TOKEN) for its own org and is refused for another', async () => {
    const at = ['--registry', `127.0.0.1:${stack.registry.port}`, '--executor', `127.0.0.1:${stack.executor.port}`];
    const own = await runCli([...at, '--org', stack.orgId, '--token', orgToken, 'list']);
    expect(own.stderr).toBe('');
    expect(own.code).toBe(0);
    expect(own.stdout).toContain(KEY);
    const viaEnv = await runCli([...at, '--org', stack.orgId, 'get', KEY], { env: { SWITCHBOARD_TOKEN: orgToken } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toContain('Looks a booking up.');
    const otherOrg = await runCli([...at, '--org', other, '--token', orgToken, 'get', KEY]);
    expect(otherOrg.code).not.toBe(0);
    expect(otherOrg.stderr).toContain('this org token acts only for its own org [ORG_NOT_PERMITTED]');
    const deliveries = await runCli([...at, '--org', other, '--token', orgToken, 'deliveries', 'list', '--failed']);
    expect(deliveries.stderr).toContain('[ORG_NOT_PERMITTED]');
    const none = await runCli([...at, '--org', stack.orgId, 'list']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('[SERVICE_NOT_AUTHORISED]');
    for (const r of [own, viaEnv, otherOrg, none]) expect(r.stdout + r.stderr).not.toContain(orgToken);
  });

  it('the MCP gateway, with its own identity token, serves the tools of the org its caller\'s org token names', async () => {
    const right = await startGateway(stack, { SERVICE_TOKEN: IDENTITY_TOKENS['mcp-gateway'] });
    try {
      const client = await right.connect(orgToken);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain(KEY);
    } finally {
      await right.stop();
    }
  });

  it('never writes a token into a log line', () => {
    const output = stack.allOutput();
    for (const secret of [LEGACY, orgToken, ...Object.values(IDENTITY_TOKENS)]) expect(output).not.toContain(secret);
  });
});
