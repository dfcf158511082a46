import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { json, startUpstream, type RecordedUpstreamRequest, type Upstream } from '../support/upstream.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The secrets each fixture API accepts; the tests store them as Switchboard credentials. */
export const SECRETS = {
  dentalApiKey: 'pms_live_7f3a9c21d8',
  insuranceClientId: 'brightsmile-clinic-7',
  insuranceClientSecret: 'cc_secret_4be19a77f0',
  crmToken: 'crm_tok_51d0e2c7aa',
  notifyUser: 'clinic-7',
  notifyPassword: 'n0tify-pa55-93',
  notifyToken: 'ntf_tok_993c0b18',
} as const;

type Handler = (req: RecordedUpstreamRequest, url: URL, res: http.ServerResponse) => void;

function route(routes: readonly [string, RegExp, Handler][]) {
  return (req: RecordedUpstreamRequest, res: http.ServerResponse): void => {
    const url = new URL(req.url, 'http://fixture');
    for (const [method, pattern, handler] of routes) {
      if (req.method === method && pattern.test(url.pathname)) return handler(req, url, res);
    }
    json(res, 404, { error: 'not_found', message: `${req.method} ${url.pathname}` });
  };
}

function parseJson(req: RecordedUpstreamRequest): Record<string, unknown> | undefined {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    const body: unknown = JSON.parse(req.body);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function segment(url: URL, index: number): string {
  return decodeURIComponent(url.pathname.split('/')[index] ?? '');
}

function basicPair(req: RecordedUpstreamRequest): [string, string] | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : [decodeURIComponent(text.slice(0, colon)), decodeURIComponent(text.slice(colon + 1))];
}

/** A handler that answers 401 unless `authorised` says yes. */
function guarded(authorised: (req: RecordedUpstreamRequest) => boolean, handler: Handler): Handler {
  return (req, url, res) => (authorised(req) ? handler(req, url, res) : json(res, 401, { error: 'unauthorized' }));
}

/**
 * BrightSmile PMS (dental-pms.yaml): serves its own OpenAPI document at /openapi.yaml, with the
 * relative server /pms/{version}, and checks the X-PMS-Key header on every API call.
 */
export function startDentalPms(): Promise<Upstream> {
  const spec = readFileSync(path.join(FIXTURES, 'dental-pms.yaml'), 'utf8');
  const appointments = new Map<string, Record<string, unknown>>([
    ['3f0c7a52-2a4b-4a8e-9d1e-6f1b2c3d4e5f', { id: '3f0c7a52-2a4b-4a8e-9d1e-6f1b2c3d4e5f', patient_id: 'p-1042', start: '2026-03-03T09:30:00-05:00', reason: 'checkup', status: 'booked', provider_id: 'prov-2' }],
  ]);
  const keyed = (h: Handler) => guarded((req) => req.headers['x-pms-key'] === SECRETS.dentalApiKey, h);
  return startUpstream(
    route([
      ['GET', /^\/openapi\.yaml$/, (_req, _url, res) => {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.end(spec);
      }],
      ['GET', /^\/pms\/v2\/patients\/[^/]+\/appointments$/, keyed((_req, url, res) => {
        const patient = segment(url, 4);
        if (patient !== 'p-1042') return json(res, 404, { error: 'not_found', message: 'no such patient' });
        const date = url.searchParams.get('date');
        const status = url.searchParams.get('status') ?? 'booked';
        const list = [...appointments.values()].filter((a) => a['patient_id'] === patient && a['status'] === status && (date === null || String(a['start']).startsWith(date)));
        json(res, 200, { appointments: list });
      })],
      ['POST', /^\/pms\/v2\/appointments$/, keyed((req, _url, res) => {
        const body = parseJson(req);
        if (body === undefined || typeof body['patient_id'] !== 'string' || typeof body['start'] !== 'string' || typeof body['reason'] !== 'string') {
          return json(res, 400, { error: 'invalid_request', message: 'patient_id, start and reason are required' });
        }
        const appointment = { ...body, id: randomUUID(), status: 'booked' };
        appointments.set(appointment.id, appointment);
        json(res, 201, appointment);
      })],
      ['DELETE', /^\/pms\/v2\/appointments\/[^/]+$/, keyed((_req, url, res) => {
        const appointment = appointments.get(segment(url, 4));
        if (appointment === undefined) return json(res, 404, { error: 'not_found', message: 'no such appointment' });
        appointment['status'] = 'cancelled';
        res.writeHead(204).end();
      })],
      ['GET', /^\/pms\/v2\/providers$/, keyed((_req, url, res) => {
        const providers = [
          { id: 'prov-2', display_name: 'Dr. Grace Hopper', specialty: 'general' },
          { id: 'prov-7', display_name: 'Ada Lovelace, RDH', specialty: 'hygiene' },
        ];
        const specialty = url.searchParams.get('specialty');
        json(res, 200, providers.filter((p) => specialty === null || p.specialty === specialty));
      })],
    ]),
  );
}

/**
 * ClearCover eligibility (insurance-eligibility.json): an OAuth 2 token endpoint at /oauth/token
 * (client credentials, client authenticated with HTTP Basic) and the API under /eligibility/v1,
 * which wants a token carrying the operation's scope.
 */
export function startInsurance(): Promise<Upstream & { readonly tokenRequests: URLSearchParams[] }> {
  const tokens = new Map<string, Set<string>>();
  const tokenRequests: URLSearchParams[] = [];
  const scoped = (scope: string, h: Handler): Handler => (req, url, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const granted = tokens.get(token);
    if (granted === undefined) return json(res, 401, { error: 'invalid_token' });
    if (!granted.has(scope)) return json(res, 403, { error: 'insufficient_scope', scope });
    h(req, url, res);
  };
  const upstream = startUpstream(
    route([
      ['POST', /^\/oauth\/token$/, (req, _url, res) => {
        const form = new URLSearchParams(req.body);
        tokenRequests.push(form);
        const client = basicPair(req);
        if (client?.[0] !== SECRETS.insuranceClientId || client[1] !== SECRETS.insuranceClientSecret) return json(res, 401, { error: 'invalid_client' });
        if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
        const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
        const token = `cc_${randomUUID()}`;
        tokens.set(token, new Set(scopes));
        json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: scopes.join(' ') });
      }],
      ['GET', /^\/eligibility\/v1\/members\/[^/]+\/coverage$/, scoped('coverage.read', (_req, url, res) => {
        const payer = url.searchParams.get('payerId');
        if (payer === null) return json(res, 400, { error: 'invalid_request', message: 'payerId is required' });
        json(res, 200, { member_id: segment(url, 4), payer_id: payer, active: true, plan: 'Delta Dental PPO Plus', deductible_remaining: 25, annual_max_remaining: 1150.5 });
      })],
      ['POST', /^\/eligibility\/v1\/eligibility-checks$/, scoped('eligibility.write', (req, _url, res) => {
        const body = parseJson(req);
        const member = body?.['member'] as Record<string, unknown> | undefined;
        if (body === undefined || typeof member?.['id'] !== 'string' || typeof member['date_of_birth'] !== 'string' || typeof body['service_type'] !== 'string') {
          return json(res, 400, { error: 'invalid_request', message: 'member.id, member.date_of_birth and service_type are required' });
        }
        const preventive = body['service_type'] === 'preventive';
        json(res, 201, { covered: true, coinsurance_percent: preventive ? 0 : 20, member_owes: preventive ? 0 : 36.4 });
      })],
    ]),
  );
  return upstream.then((u) => Object.assign(u, { tokenRequests }));
}

/** Pipeline CRM (crm-leads.yaml): bearer token; JSON bodies, one form-encoded body. */
export function startCrm(): Promise<Upstream> {
  const leads = new Map<string, Record<string, unknown>>();
  const bearer = (h: Handler) => guarded((req) => req.headers.authorization === `Bearer ${SECRETS.crmToken}`, h);
  return startUpstream(
    route([
      ['POST', /^\/v1\/leads$/, bearer((req, _url, res) => {
        const body = parseJson(req);
        const contact = body?.['contact'] as Record<string, unknown> | undefined;
        if (body === undefined || typeof contact?.['first_name'] !== 'string' || typeof contact['phone'] !== 'string' || typeof body['source'] !== 'string') {
          return json(res, 400, { error: 'invalid_request', message: 'contact.first_name, contact.phone and source are required' });
        }
        const lead = { ...body, id: randomUUID(), status: 'new' };
        leads.set(lead.id, lead);
        json(res, 201, lead);
      })],
      ['GET', /^\/v1\/leads$/, bearer((_req, url, res) => {
        const phone = url.searchParams.get('phone');
        const tags = url.searchParams.getAll('tag');
        const found = [...leads.values()].filter((l) => {
          const contact = l['contact'] as Record<string, unknown>;
          const own = (l['tags'] as string[] | undefined) ?? [];
          return (phone === null || contact['phone'] === phone) && tags.every((t) => own.includes(t));
        });
        json(res, 200, { leads: found.slice(0, Number(url.searchParams.get('limit') ?? '10')) });
      })],
      ['PATCH', /^\/v1\/leads\/[^/]+$/, bearer((req, url, res) => {
        const lead = leads.get(segment(url, 3));
        const body = parseJson(req);
        if (lead === undefined) return json(res, 404, { error: 'not_found' });
        if (typeof body?.['status'] !== 'string') return json(res, 400, { error: 'invalid_request' });
        lead['status'] = body['status'];
        json(res, 200, { id: lead['id'], status: lead['status'] });
      })],
      ['POST', /^\/v1\/leads\/[^/]+\/notes$/, bearer((req, url, res) => {
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return json(res, 415, { error: 'unsupported_media_type' });
        const form = new URLSearchParams(req.body);
        if (!leads.has(segment(url, 3))) return json(res, 404, { error: 'not_found' });
        if (form.get('text') === null) return json(res, 400, { error: 'invalid_request' });
        json(res, 201, { id: randomUUID(), text: form.get('text'), author: form.get('author') });
      })],
    ]),
  );
}

/**
 * RelayNotify (webhook-notify.json): serves its document at /openapi.json with the relative server
 * /notify/v3; sending needs HTTP Basic, reading a status needs the X-Notify-Token header.
 */
export function startNotify(): Promise<Upstream> {
  const spec = readFileSync(path.join(FIXTURES, 'webhook-notify.json'), 'utf8');
  const sent = new Map<string, Record<string, unknown>>();
  const basic = (h: Handler) => guarded((req) => {
    const pair = basicPair(req);
    return pair?.[0] === SECRETS.notifyUser && pair[1] === SECRETS.notifyPassword;
  }, h);
  const token = (h: Handler) => guarded((req) => req.headers['x-notify-token'] === SECRETS.notifyToken, h);
  return startUpstream(
    route([
      ['GET', /^\/openapi\.json$/, (_req, _url, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(spec);
      }],
      ['POST', /^\/notify\/v3\/notifications$/, basic((req, _url, res) => {
        const body = parseJson(req);
        if (body === undefined || typeof body['to'] !== 'string' || typeof body['message'] !== 'string') return json(res, 400, { error: 'invalid_request' });
        const id = `ntf_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
        sent.set(id, body);
        json(res, 202, { id, status: 'queued' });
      })],
      ['GET', /^\/notify\/v3\/notifications\/[^/]+$/, token((_req, url, res) => {
        const id = segment(url, 4);
        if (!sent.has(id)) return json(res, 404, { error: 'not_found' });
        json(res, 200, { id, status: 'delivered', updated_at: '2026-03-03T14:00:05Z' });
      })],
    ]),
  );
}
