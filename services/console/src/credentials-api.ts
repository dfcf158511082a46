import { CREDENTIAL_ID_PATTERN, CREDENTIAL_ID_RULE, type CredentialInfo, CredentialType, credentialTypeToJSON } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import { grpc } from './grpc-errors.js';

/** The short type names the page offers, and the secret fields each one takes (see credential.proto). */
const TYPES: Readonly<Record<string, { type: CredentialType; fields: readonly string[] | 'any' }>> = {
  api_key: { type: CredentialType.CREDENTIAL_TYPE_API_KEY, fields: ['value'] },
  bearer: { type: CredentialType.CREDENTIAL_TYPE_BEARER, fields: ['token'] },
  basic: { type: CredentialType.CREDENTIAL_TYPE_BASIC, fields: ['username', 'password'] },
  custom_headers: { type: CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, fields: 'any' },
  oauth2_client: { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, fields: ['client_id', 'client_secret', 'refresh_token'] },
  mtls: { type: CredentialType.CREDENTIAL_TYPE_MTLS, fields: ['cert_pem', 'key_pem', 'ca_pem'] },
  signing_secret: { type: CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, fields: ['value'] },
};

function shortType(type: CredentialType): string {
  return credentialTypeToJSON(type).replace(/^CREDENTIAL_TYPE_/, '').toLowerCase();
}

/** What the page may know about a credential: never its value. */
function metadata(c: CredentialInfo) {
  return { id: c.credentialId, type: shortType(c.type), hint: c.hint, updatedAt: c.updatedAt?.toISOString() ?? null };
}

function bad(field: string, message: string): SwitchboardError {
  return new SwitchboardError('INVALID_REQUEST', `${field} ${message}`, { fieldErrors: [{ field, message }] });
}

export const listCredentials: ApiHandler = async (req, deps) => {
  const credentials = await grpc(() => deps.registryFor(req.session.orgId).listCredentials());
  return { body: { credentials: credentials.map(metadata) } };
};

/** Write-only: the secret goes to the registry (sealed there) and the answer holds only type, hint and time. */
export const putCredential: ApiHandler = async (req, deps) => {
  const id = req.params[0]!;
  if (!CREDENTIAL_ID_PATTERN.test(id)) throw bad('id', CREDENTIAL_ID_RULE);
  const body = await req.body();
  const spec = typeof body['type'] === 'string' ? TYPES[body['type']] : undefined;
  if (!spec) throw bad('type', `must be one of ${Object.keys(TYPES).join(', ')}`);
  const raw = body['secret'];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('secret', 'must be an object of text fields');
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') throw bad(`secret.${name}`, 'must be text');
    if (value === '') continue;
    if (spec.fields !== 'any' && !spec.fields.includes(name)) throw bad(`secret.${name}`, `is not a field of ${String(body['type'])}`);
    secret[name] = value;
  }
  if (Object.keys(secret).length === 0) throw bad('secret', 'must hold the secret value');
  const info = await grpc(() => deps.registryFor(req.session.orgId).putCredential(id, spec.type, secret));
  return { body: metadata(info) };
};
