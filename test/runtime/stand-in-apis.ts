import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CredentialType, Integration, Outcome } from '@switchboard/contracts';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { waitFor } from '../support/audit-files.js';
import { ROOT, type Stack } from '../support/stack.js';
import { json, startUpstream, type RecordedUpstreamRequest, type Upstream } from '../support/upstream.js';

/** The secrets the stand-in APIs expect; none may appear in a rehearsal's output. */
export const SECRETS = {
  demoKey: 'sk_demo_sim_5c1e0b7a',
  pmsKey: 'sk_pms_sim_77b0a1d4',
  clinicKey: 'ck_dental_sim_9f03e2aa',
  crmToken: 'crm_tok_sim_41d7c0',
  ehrClientSecret: 'ehr_cs_sim_0a9b8c',
  hookSignature: 'hook_sig_sim_6e2f11',
} as const;

const EHR_ACCESS_TOKEN = 'ehr_at_sim_3344';
/** Patient whose appointments take longer than appointment_lookup's delay_after_ms (1200 ms). */
export const SLOW_PATIENT = 'p-slow';
export const SLOW_MS = 1_700;

/** Where each example definition's host is served on the loopback stand-in. */
const PREFIX: Record<string, string> = {
  'pms.example.com': '/pms',
  'booking.example-dental.com': '/booking',
  'api.crm.example.com': '/crm',
  'ehr.example-health.org': '/ehr',
  'auth.example-health.org': '/ehr-auth',
  'hooks.example.com': '/hooks',
};

function route(req: RecordedUpstreamRequest): { path: string; query: URLSearchParams } {
  const url = new URL(req.url, 'http://loopback');
  return { path: url.pathname, query: url.searchParams };
}

/**
 * One loopback HTTP server playing every API the example definitions talk to (the demo practice system,
 * the PMS, the dental booking system, the CRM, the EHR with its OAuth token endpoint, the staff webhook),
 * each checking its credential as the real one would.
 */
export async function startStandInApis(): Promise<Upstream> {
  return startUpstream(async (req, res) => {
    const { path: p, query } = route(req);
    const h = req.headers;
    let m: RegExpExecArray | null;
    if ((m = /^\/demo\/patients\/([^/]+)\/appointments$/.exec(p))) {
      if (h['x-api-key'] !== SECRETS.demoKey) return json(res, 401, { error: 'invalid api key' });
      if (m[1] !== 'p-1001') return json(res, 404, { error: 'no such patient' });
      return json(res, 200, { appointments: [{ date: query.get('date'), time: '09:30', provider: 'Dr. Grace Hopper' }] });
    }
    if ((m = /^\/pms\/patients\/([^/]+)\/appointments$/.exec(p))) {
      if (h['x-api-key'] !== SECRETS.pmsKey) return json(res, 401, { error: 'invalid api key' });
      if (m[1] === SLOW_PATIENT) await new Promise((r) => setTimeout(r, SLOW_MS));
      return json(res, 200, { appointments: [{ date: query.get('date') ?? '2025-03-03', start_time: '09:30', provider: { display_name: 'Dr. Grace Hopper' } }] });
    }
    if (p === '/booking/v2/clinics/12/bookings' && req.method === 'POST') {
      if (h['x-clinic-key'] !== SECRETS.clinicKey) return json(res, 401, { error: 'invalid clinic key' });
      const body = JSON.parse(req.body) as { appointment: { date: string; start_time: string } };
      return json(res, 201, { data: { id: 'B-0042', appointment: { starts_at: `${body.appointment.date} ${body.appointment.start_time}` } } });
    }
    if (p === '/crm/v3/leads' && req.method === 'POST') {
      if (h['authorization'] !== `Bearer ${SECRETS.crmToken}`) return json(res, 401, { error: 'invalid token' });
      return json(res, 201, { id: 'lead-7781' });
    }
    if (p === '/ehr-auth/oauth2/token' && req.method === 'POST') {
      const basic = `Basic ${Buffer.from(`ehr-client:${SECRETS.ehrClientSecret}`).toString('base64')}`;
      if (h['authorization'] !== basic) return json(res, 401, { error: 'invalid_client' });
      return json(res, 200, { access_token: EHR_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
    }
    if ((m = /^\/ehr\/api\/v1\/members\/([^/]+)\/eligibility$/.exec(p))) {
      if (h['authorization'] !== `Bearer ${EHR_ACCESS_TOKEN}`) return json(res, 401, { error: 'invalid token' });
      return json(res, 200, {
        coverage: { active: true, plan_name: 'Delta Dental PPO' },
        benefits: [{ service_type: 'preventive', copay: { amount: 0 } }],
      });
    }
    if (p === '/hooks/services/front-desk/notify' && req.method === 'POST') {
      if (h['x-hook-signature'] !== SECRETS.hookSignature) return json(res, 401, { error: 'bad signature' });
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { error: `no route ${req.method} ${p}` });
  });
}

function loadExample(file: string, apis: Upstream): Integration {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replaceAll('DEMO_API', `${apis.url}/demo`);
  const { integrations, problems } = parseIntegrationDocuments(text, file);
  if (problems.length > 0 || integrations.length !== 1) throw new Error(`${file}: ${JSON.stringify(problems)}`);
  const i = integrations[0]!;
  const local = (url: string) =>
    url.replace(/^https:\/\/([^/]+)/, (_all, host: string) => {
      const prefix = PREFIX[host];
      if (prefix === undefined) throw new Error(`${file}: no stand-in for ${host}`);
      return `${apis.url}${prefix}`;
    });
  return Integration.fromPartial({
    ...i,
    urlTemplate: local(i.urlTemplate),
    auth: i.auth && {
      ...i.auth,
      // The stand-in EHR takes no client certificate; everything else about its auth is kept.
      mtlsCredentialId: '',
      oauth2: i.auth.oauth2 && { ...i.auth.oauth2, tokenUrl: local(i.auth.oauth2.tokenUrl) },
    },
  });
}

export const EXAMPLE_DEFINITIONS = [
  'examples/demo/look-up-appointments.yaml',
  'examples/integrations/appointment-lookup.yaml',
  'examples/integrations/crm-lead.yaml',
  'examples/integrations/dental-booking.yaml',
  'examples/integrations/ehr-eligibility.yaml',
  'examples/integrations/staff-webhook.yaml',
];

/** Registers every example definition (pointed at the stand-ins) with its credentials, and waits for the executor to know them. */
export async function registerExamples(stack: Stack, apis: Upstream): Promise<string[]> {
  const r = stack.registryClient;
  await Promise.all([
    r.putCredential('demo-pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.demoKey }),
    r.putCredential('pms-api-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.pmsKey }),
    r.putCredential('dental-booking-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.clinicKey }),
    r.putCredential('crm-token', CredentialType.CREDENTIAL_TYPE_BEARER, { token: SECRETS.crmToken }),
    r.putCredential('ehr-oauth-client', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'ehr-client', client_secret: SECRETS.ehrClientSecret }),
    r.putCredential('front-desk-hook-headers', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Hook-Id': 'front-desk', 'X-Hook-Signature': SECRETS.hookSignature }),
  ]);
  const definitions = EXAMPLE_DEFINITIONS.map((f) => loadExample(f, apis));
  for (const d of definitions) await r.create(d);
  for (const d of definitions) {
    // The probe argument matches no parameter, so it ends at validation and never reaches an API.
    await waitFor(async () => {
      const res = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: d.key, argumentsJson: '{"__probe__":1}' });
      return res.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true;
    }, `the executor to see ${d.key}`);
  }
  return definitions.map((d) => d.key);
}
