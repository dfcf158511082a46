import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CredentialType, Outcome, type CallContext, type Integration, type InvokeResponse } from '@switchboard/contracts';
import { importOpenApi, type ImportResult } from '@switchboard/openapi-import';
import { startExecutorStack, waitUntilKnown } from '../executor/helpers.js';
import type { Stack } from '../support/stack.js';
import type { Upstream } from '../support/upstream.js';
import { FIXTURES, SECRETS, startCrm, startDentalPms, startInsurance, startNotify } from './fixture-servers.js';

const NO_CONTEXT: CallContext = { callerNumber: '', calledNumber: '', orgTimeZone: '', confirmationToken: '', callerRequest: undefined, verification: undefined };
const VERIFIED: CallContext = { ...NO_CONTEXT, verification: { method: 'dob_phone_match', reference: 'interop-test' } };

/**
 * Each fixture document is imported (from a loopback URL, a file and a parsed object), the
 * definitions are applied through the real registry with the credentials their security schemes
 * need, and every imported operation is invoked through the executor against a loopback server that
 * implements the document and checks its auth. Confirmed writes go through both steps.
 */
describe('OpenAPI import, end to end', () => {
  let stack: Stack;
  let dental: Upstream;
  let insurance: Awaited<ReturnType<typeof startInsurance>>;
  let crm: Upstream;
  let notify: Upstream;
  const imported: Record<'dental' | 'insurance' | 'crm' | 'notify', ImportResult> = {} as Record<'dental' | 'insurance' | 'crm' | 'notify', ImportResult>;

  const invoke = (toolKey: string, args: Record<string, unknown>, callId = randomUUID(), confirmationToken = '', context: CallContext = NO_CONTEXT): Promise<InvokeResponse> =>
    stack.executorClient.invoke({ orgId: stack.orgId, toolKey, callId, argumentsJson: JSON.stringify(args), context: { ...context, confirmationToken } });

  /**
   * Verified level (the import's default for DELETE and for patient or identity data): refused, with
   * nothing sent, until the runtime says how the caller was verified; then it runs.
   */
  const verifyAndInvoke = async (toolKey: string, args: Record<string, unknown>, upstream: Upstream): Promise<InvokeResponse> => {
    const calls = () => upstream.requests.filter((r) => !r.url.startsWith('/oauth/')).length;
    const before = calls();
    const refused = await invoke(toolKey, args);
    expect(refused.outcome, `${toolKey}: ${refused.detail}`).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    expect(calls()).toBe(before);
    const res = await invoke(toolKey, args, randomUUID(), '', VERIFIED);
    expect(res.outcome, `${toolKey}: ${res.reason} ${res.detail}`).toBe(Outcome.OUTCOME_SUCCESS);
    expect(calls()).toBe(before + 1);
    return res;
  };

  /** Confirmed level: the first call only asks; the second, with the token, runs. */
  const confirmAndInvoke = async (toolKey: string, args: Record<string, unknown>, upstream: Upstream): Promise<{ prompt: string; result: InvokeResponse }> => {
    const callId = randomUUID();
    // API calls only: a token request to the same server is not the operation.
    const calls = () => upstream.requests.filter((r) => !r.url.startsWith('/oauth/')).length;
    const before = calls();
    const first = await invoke(toolKey, args, callId);
    expect(first.outcome, `${toolKey}: ${first.detail}`).toBe(Outcome.OUTCOME_CONFIRMATION_REQUIRED);
    expect(calls()).toBe(before);
    const second = await invoke(toolKey, args, callId, first.confirmation!.token);
    expect(second.outcome, `${toolKey}: ${second.reason} ${second.detail}`).toBe(Outcome.OUTCOME_SUCCESS);
    expect(calls()).toBe(before + 1);
    return { prompt: first.confirmation!.prompt, result: second };
  };

  const succeed = async (toolKey: string, args: Record<string, unknown>): Promise<unknown> => {
    const res = await invoke(toolKey, args);
    expect(res.outcome, `${toolKey}: ${res.reason} ${res.detail}`).toBe(Outcome.OUTCOME_SUCCESS);
    return JSON.parse(res.resultJson) as unknown;
  };

  const lastRequest = (upstream: Upstream) => upstream.requests[upstream.requests.length - 1]!;

  beforeAll(async () => {
    [dental, insurance, crm, notify] = await Promise.all([startDentalPms(), startInsurance(), startCrm(), startNotify()]);
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });

    // 3.0 YAML from a loopback URL: its relative server /pms/{version} resolves against that URL.
    imported.dental = await importOpenApi(`${dental.url}/openapi.yaml`);
    // 3.1 JSON from a file, pointed at the loopback server; the relative token URL follows it.
    imported.insurance = await importOpenApi(path.join(FIXTURES, 'insurance-eligibility.json'), { serverUrl: `${insurance.url}/eligibility/v1` });
    // 3.0 YAML already parsed by the caller.
    imported.crm = await importOpenApi(parseYaml(await readFile(path.join(FIXTURES, 'crm-leads.yaml'), 'utf8')) as object, { serverUrl: `${crm.url}/v1` });
    // 3.1 JSON from a loopback URL.
    imported.notify = await importOpenApi(`${notify.url}/openapi.json`);

    const all: Integration[] = Object.values(imported).flatMap((r) => r.integrations);
    const r = stack.registryClient;
    await Promise.all([
      r.putCredential('pms-api-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.dentalApiKey }),
      r.putCredential('payer-oauth', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: SECRETS.insuranceClientId, client_secret: SECRETS.insuranceClientSecret }),
      r.putCredential('bearer-auth', CredentialType.CREDENTIAL_TYPE_BEARER, { token: SECRETS.crmToken }),
      r.putCredential('basic-auth', CredentialType.CREDENTIAL_TYPE_BASIC, { username: SECRETS.notifyUser, password: SECRETS.notifyPassword }),
      r.putCredential('notify-token', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.notifyToken }),
    ]);
    for (const integration of all) await r.create(integration);
    await Promise.all(all.map((i) => waitUntilKnown(stack, i.key)));
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([dental, insurance, crm, notify].map((u) => u?.close()));
  });

  it('imports every supported operation of each fixture, with the credentials it needs named', () => {
    const keys = (r: ImportResult) => r.integrations.map((i) => i.key);
    expect(keys(imported.dental)).toEqual(['list_patient_appointments', 'book_appointment', 'cancel_appointment', 'list_providers']);
    expect(keys(imported.insurance)).toEqual(['get_member_coverage', 'create_eligibility_check']);
    expect(keys(imported.crm)).toEqual(['create_lead', 'search_leads', 'update_lead_status', 'add_lead_note']);
    expect(keys(imported.notify)).toEqual(['send_notification', 'get_notification_status']);
    const credentialNotes = Object.values(imported).flatMap((r) => r.notes.filter((n) => n.startsWith('credential ')));
    expect(credentialNotes.map((n) => n.split(' ')[1])).toEqual(['pms-api-key', 'payer-oauth', 'bearer-auth', 'basic-auth', 'notify-token']);
    expect(imported.dental.notes.some((n) => n.includes('also lists https://sandbox.brightsmile.example.com/pms/v2'))).toBe(true);
  });

  it('reports what it could not translate, and why', () => {
    expect(imported.dental.skipped).toEqual([{ operation: 'listProviders', what: 'cookie parameter pms_session', why: 'is a cookie: Switchboard sends no cookies' }]);
    expect(imported.insurance.skipped).toEqual([
      { operation: 'getClaimStatus', what: 'operation', why: expect.stringContaining('security scheme memberPortal: OpenID Connect') as unknown },
    ]);
    expect(imported.crm.skipped).toEqual([]);
    expect(imported.notify.skipped).toEqual([
      { operation: 'sendNotification', what: 'callback deliveryStatus', why: expect.stringContaining('callback') as unknown },
      { operation: 'uploadAttachment', what: 'operation', why: 'its request body is multipart/form-data; Switchboard sends JSON or form-encoded bodies only' },
      { operation: 'subscribeToEvents', what: 'operation', why: expect.stringContaining('dashboardSession: cookie auth') as unknown },
      { operation: '(document)', what: 'webhook notificationDelivered', why: expect.stringContaining('webhook') as unknown },
    ]);
  });

  it('the fixture APIs refuse calls without the right credential', async () => {
    for (const url of [`${dental.url}/pms/v2/providers`, `${insurance.url}/eligibility/v1/members/W123456789/coverage?payerId=DELTA1`, `${crm.url}/v1/leads`, `${notify.url}/notify/v3/notifications/ntf_x`]) {
      expect((await fetch(url)).status, url).toBe(401);
    }
  });

  it('dental PMS (3.0, API key header): patient reads once verified, books after confirmation, cancels once verified', async () => {
    const list = JSON.parse((await verifyAndInvoke('list_patient_appointments', { patientId: 'p-1042', date: '2026-03-03' }, dental)).resultJson) as {
      appointments: { reason: string }[];
    };
    expect(list.appointments.map((a) => a.reason)).toEqual(['checkup']);
    expect(lastRequest(dental)).toMatchObject({ method: 'GET', url: '/pms/v2/patients/p-1042/appointments?date=2026-03-03&status=booked' });
    expect(lastRequest(dental).headers['x-pms-key']).toBe(SECRETS.dentalApiKey);

    // A top-level array body reaches the model as { value: [...] } (no response mapping is imported).
    const providers = (await succeed('list_providers', { specialty: 'hygiene' })) as { value: { display_name: string }[] };
    expect(providers.value.map((p) => p.display_name)).toEqual(['Ada Lovelace, RDH']);

    const invalid = await invoke('list_patient_appointments', { patientId: 'patient 1042' }, randomUUID(), '', VERIFIED);
    expect(invalid.outcome).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);

    const booking = { patient_id: 'p-1042', start: '2026-03-03T14:00:00-05:00', reason: 'cleaning' };
    const booked = await confirmAndInvoke('book_appointment', booking, dental);
    expect(booked.prompt).toBe('Shall I go ahead and book an appointment: patient id p-1042, start 2026-03-03T14:00:00-05:00, reason cleaning?');
    expect(JSON.parse(lastRequest(dental).body)).toEqual({ ...booking, duration_minutes: 30 });
    const appointment = JSON.parse(booked.result.resultJson) as { id: string; status: string };
    expect(appointment.status).toBe('booked');

    await verifyAndInvoke('cancel_appointment', { appointmentId: appointment.id }, dental);
    expect(lastRequest(dental)).toMatchObject({ method: 'DELETE', url: `/pms/v2/appointments/${appointment.id}` });
  });

  it('insurance eligibility (3.1, OAuth 2 client credentials): fetches a scoped token and checks eligibility', async () => {
    const coverage = await succeed('get_member_coverage', { memberId: 'W123456789', payerId: 'DELTA1', serviceDate: '2026-03-03' });
    expect(coverage).toMatchObject({ active: true, plan: 'Delta Dental PPO Plus' });
    expect(insurance.tokenRequests.at(-1)?.get('scope')).toBe('coverage.read');

    // A member's date of birth is identity data: verified, not just confirmed.
    const check = await verifyAndInvoke(
      'create_eligibility_check',
      { member_id: 'W123456789', member_date_of_birth: '1984-07-12', payer_id: 'DELTA1', service_type: 'preventive', procedure_code: 'D1110' },
      insurance,
    );
    expect(JSON.parse(check.resultJson)).toEqual({ covered: true, coinsurance_percent: 0, member_owes: 0 });
    const sent = insurance.requests.filter((r) => r.url === '/eligibility/v1/eligibility-checks').at(-1)!;
    expect(JSON.parse(sent.body)).toEqual({ member: { id: 'W123456789', date_of_birth: '1984-07-12' }, payer_id: 'DELTA1', service_type: 'preventive', procedure_code: 'D1110' });
    expect(insurance.tokenRequests.at(-1)?.get('scope')).toBe('eligibility.write coverage.read');
  });

  it('CRM leads (3.0, bearer): nested JSON body, query arrays, PATCH and a form-encoded body', async () => {
    const lead = await confirmAndInvoke(
      'create_lead',
      { contact_first_name: 'Maya', contact_phone: '+15551234567', contact_email: 'maya@example.com', source: 'phone_call', interest_service: 'Invisalign consultation', tags: ['ortho', 'new-patient'] },
      crm,
    );
    expect(JSON.parse(lastRequest(crm).body)).toEqual({
      contact: { first_name: 'Maya', phone: '+15551234567', email: 'maya@example.com' },
      source: 'phone_call',
      interest: { service: 'Invisalign consultation' },
      consent: { sms: false },
      tags: ['ortho', 'new-patient'],
    });
    expect(lastRequest(crm).headers.authorization).toBe(`Bearer ${SECRETS.crmToken}`);
    const leadId = (JSON.parse(lead.result.resultJson) as { id: string }).id;

    const badPhone = await invoke('search_leads', { phone: '555-1234' });
    expect(badPhone.outcome).toBe(Outcome.OUTCOME_INVALID_ARGUMENTS);
    const found = (await succeed('search_leads', { phone: '+15551234567', tag: ['ortho'] })) as { leads: { id: string }[] };
    expect(found.leads.map((l) => l.id)).toEqual([leadId]);
    expect(lastRequest(crm).url).toBe('/v1/leads?phone=%2B15551234567&limit=10&tag=ortho');

    await confirmAndInvoke('update_lead_status', { leadId, status: 'contacted' }, crm);
    expect(lastRequest(crm)).toMatchObject({ method: 'PATCH', url: `/v1/leads/${leadId}`, body: '{"status":"contacted"}' });

    await confirmAndInvoke('add_lead_note', { leadId, text: 'Prefers mornings', author: 'front desk' }, crm);
    expect(lastRequest(crm).headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(lastRequest(crm).body).toBe('text=Prefers+mornings&author=front+desk');
  });

  it('webhook notify (3.1, basic and a custom header): sends after confirmation and reads the status', async () => {
    const sent = await confirmAndInvoke('send_notification', { channel: 'sms', to: '+15551234567', message: 'Patient waiting in room 2' }, notify);
    expect(sent.prompt).toBe('Shall I go ahead and send a notification: channel sms, to +15551234567, message Patient waiting in room 2?');
    expect(lastRequest(notify).headers.authorization).toBe(`Basic ${Buffer.from(`${SECRETS.notifyUser}:${SECRETS.notifyPassword}`).toString('base64')}`);
    const { id } = JSON.parse(sent.result.resultJson) as { id: string };
    const status = await succeed('get_notification_status', { notificationId: id });
    expect(status).toMatchObject({ id, status: 'delivered' });
    expect(lastRequest(notify).headers['x-notify-token']).toBe(SECRETS.notifyToken);
  });
});
