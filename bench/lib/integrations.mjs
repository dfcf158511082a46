// The integrations the benchmark registers, as an integrator would write them, and the requests the
// agent runtime would send for them.
import { randomUUID } from 'node:crypto';
import { workspace } from './deps.mjs';

export const SECRETS = {
  apiKey: 'sk_bench_4f1c9a77d2e8b3',
  clientId: 'bench-client',
  clientSecret: 'bench-client-secret-0d9a',
  accessToken: 'bench-access-token-7c21e5',
};

export const KEYS = {
  apiKey: 'bench_lookup',
  oauth: 'bench_oauth_lookup',
  confirmed: 'bench_booking',
  slow: 'bench_slow_lookup',
  /** The lookup with `audit: strict`: the same GET, with a write-ahead intent before it is sent. */
  strict: 'bench_lookup_strict',
  /** The lookup with generous `limits` it never reaches: the limiter's cost when it does not limit. */
  limited: 'bench_lookup_limited',
  /** The booking at burden level conversational: a write call (POST, write-ahead intent) in one Invoke. */
  write: 'bench_booking_direct',
};
export const ARGUMENTS = JSON.stringify({ patient_id: 'p-1001', date: '2026-12-01' });
export const BOOKING_ARGUMENTS = JSON.stringify({ first_name: 'Ada', last_name: 'Lovelace', date: '2026-12-01', time: '14:00' });

// The API-key and OAuth lookups differ only in their URL and auth: the same parameters and mapping.
const LOOKUP_PARAMETERS = `parameters:
  - name: patient_id
    description: The patient's id.
    type: string
    required: true
    in: path
  - name: date
    description: The day to look at.
    type: string
    format: date
    required: true
    in: query`;

const MAPPING = `
response_mapping:
  fields:
    - name: next_time
      expression: "appointments[0].time"
    - name: provider
      expression: "appointments[0].provider"
  summary_template: "The next appointment is at {{ next_time }} with {{ provider }}."`;

/** API key in a header, a path and a query parameter, a two-field JMESPath mapping. */
export function apiKeyYaml(upstream, key = KEYS.apiKey, extra = '') {
  return `
key: ${key}
name: Look up appointments
description: Finds a patient's appointments on a given day.
method: GET
url_template: "${upstream}/patients/{patient_id}/appointments?date={date}"
${LOOKUP_PARAMETERS}
auth:
  type: api_key
  credential_id: bench-key
  api_key_in: header
  api_key_name: X-API-Key
${MAPPING}
burden:
  level: conversational
${extra}`;
}

/** The same call behind an OAuth 2 client-credentials grant whose token endpoint is on the upstream. */
export function oauthYaml(upstream) {
  return `
key: ${KEYS.oauth}
name: Look up appointments (OAuth)
description: Finds a patient's appointments on a given day.
method: GET
url_template: "${upstream}/oauth-api/patients/{patient_id}/appointments?date={date}"
${LOOKUP_PARAMETERS}
auth:
  type: oauth2_client_credentials
  credential_id: bench-oauth-client
  oauth2:
    token_url: "${upstream}/oauth/token"
    scopes: [appointments.read]
    client_auth: basic
${MAPPING}
burden:
  level: conversational
`;
}

/** The lookup with a write-ahead intent (`audit: strict`), for the intent's cost on an otherwise identical call. */
export function strictYaml(upstream) {
  return apiKeyYaml(upstream, KEYS.strict, 'audit: strict\n');
}

/** The lookup with limits far above what the benchmark sends: the limiter's cost when it lets every call through. */
export function limitedYaml(upstream) {
  return apiKeyYaml(upstream, KEYS.limited, 'limits:\n  max_concurrent: 10000\n  rate_per_second: 100000\n  burst: 10000\n  max_queue_ms: 1000\n');
}

/** The booking without the confirmation step: a write call the executor sends at once. */
export function writeYaml(upstream) {
  return confirmedYaml(upstream)
    .replace(`key: ${KEYS.confirmed}`, `key: ${KEYS.write}`)
    .replace(/burden:\n {2}level: confirmed\n {2}confirmation_prompt: .*\n/, 'burden:\n  level: conversational\n');
}

/** A booking the caller must confirm: the first Invoke returns a token, the second runs with it. */
export function confirmedYaml(upstream) {
  return `
key: ${KEYS.confirmed}
name: Book an appointment
description: Books an appointment once the caller has agreed to the details.
method: POST
url_template: "${upstream}/bookings"
parameters:
  - name: first_name
    description: The patient's first name.
    type: string
    in: body
    wire_name: patient.first_name
    required: true
  - name: last_name
    description: The patient's last name.
    type: string
    in: body
    wire_name: patient.last_name
    required: true
  - name: date
    description: The day of the appointment.
    type: string
    format: date
    in: body
    wire_name: appointment.date
    required: true
  - name: time
    description: Local start time, HH:MM.
    type: string
    in: body
    wire_name: appointment.start_time
    required: true
auth:
  type: api_key
  credential_id: bench-key
  api_key_in: header
  api_key_name: X-API-Key
response_mapping:
  fields:
    - name: booking_id
      expression: data.id
    - name: starts_at
      expression: data.appointment.starts_at
  summary_template: "You're booked for {{starts_at}}. Your reference is {{booking_id}}."
burden:
  level: confirmed
  confirmation_prompt: "Shall I book {{first_name}} on {{date}} at {{time}}?"
`;
}

/** An upstream that holds every answer (scale test); a generous budget so only the hold decides. */
export function slowYaml(upstream, totalMs) {
  return apiKeyYaml(upstream, KEYS.slow, `timeouts:\n  total_ms: ${totalMs}\n`).replace('/patients/{patient_id}', '/slow/{patient_id}');
}

export async function parseOne(text) {
  const { parseIntegrationDocuments } = await workspace('definition');
  const { integrations, problems } = parseIntegrationDocuments(text, 'bench.yaml');
  if (problems.length > 0 || integrations.length !== 1) throw new Error(`bench definition is invalid: ${JSON.stringify(problems)}`);
  return integrations[0];
}

/** Stores the API key and the OAuth client for an org through the registry. */
export async function putCredentials(registryClient) {
  const { CredentialType } = await workspace('contracts');
  await registryClient.putCredential('bench-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
  await registryClient.putCredential('bench-oauth-client', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, {
    client_id: SECRETS.clientId,
    client_secret: SECRETS.clientSecret,
  });
}

/** Request builders, hoisted so the client does the same small amount of work on every path. */
export async function requests(orgId) {
  const { CallContext } = await workspace('contracts');
  return {
    apiKey: () => ({ orgId, toolKey: KEYS.apiKey, callId: randomUUID(), argumentsJson: ARGUMENTS }),
    oauth: () => ({ orgId, toolKey: KEYS.oauth, callId: randomUUID(), argumentsJson: ARGUMENTS }),
    strict: () => ({ orgId, toolKey: KEYS.strict, callId: randomUUID(), argumentsJson: ARGUMENTS }),
    limited: () => ({ orgId, toolKey: KEYS.limited, callId: randomUUID(), argumentsJson: ARGUMENTS }),
    write: () => ({ orgId, toolKey: KEYS.write, callId: randomUUID(), argumentsJson: BOOKING_ARGUMENTS }),
    confirmFirst: (callId) => ({ orgId, toolKey: KEYS.confirmed, callId, argumentsJson: BOOKING_ARGUMENTS }),
    confirmSecond: (callId, token) => ({
      orgId,
      toolKey: KEYS.confirmed,
      callId,
      argumentsJson: BOOKING_ARGUMENTS,
      context: CallContext.fromPartial({ confirmationToken: token }),
    }),
  };
}
