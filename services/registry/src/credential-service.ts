import { CREDENTIAL_ID_PATTERN, CREDENTIAL_ID_RULE, type CredentialInfo, CredentialType, type PutCredentialRequest } from '@switchboard/contracts';
import { sealSecret, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError, type FieldProblem } from '@switchboard/errors';
import { checkOrgId, credentialAad, type CredentialStore, type StoredCredential } from '@switchboard/store';

/** The secret fields each credential type needs; extra fields are refused so typos surface. */
const FIELDS: Record<number, { required: readonly string[]; optional: readonly string[]; hintFrom?: string }> = {
  [CredentialType.CREDENTIAL_TYPE_API_KEY]: { required: ['value'], optional: [], hintFrom: 'value' },
  [CredentialType.CREDENTIAL_TYPE_BEARER]: { required: ['token'], optional: [], hintFrom: 'token' },
  [CredentialType.CREDENTIAL_TYPE_BASIC]: { required: ['username', 'password'], optional: [], hintFrom: 'password' },
  [CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT]: {
    required: ['client_id', 'client_secret'],
    optional: ['refresh_token'],
    hintFrom: 'client_secret',
  },
  [CredentialType.CREDENTIAL_TYPE_MTLS]: { required: ['cert_pem', 'key_pem'], optional: ['ca_pem'] },
  [CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET]: { required: ['value'], optional: [], hintFrom: 'value' },
};

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_SECRET_BYTES = 16 * 1024;

/** "••••3f9a" for secrets long enough that four characters reveal little; only dots otherwise. */
export function maskedHint(secret: string | undefined): string {
  if (secret === undefined || secret.length < 12) return '••••';
  return `••••${secret.slice(-4)}`;
}

function checkSecretFields(type: CredentialType, secret: Record<string, string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const names = Object.keys(secret);
  if (type === CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS) {
    if (names.length === 0) problems.push({ field: 'secret', message: 'needs at least one header name' });
    for (const n of names) {
      if (!HEADER_TOKEN.test(n)) problems.push({ field: `secret.${n}`, message: 'is not a valid HTTP header name' });
    }
  } else {
    const spec = FIELDS[type];
    if (!spec) return [{ field: 'type', message: 'must be a known credential type (api_key, bearer, basic, custom_headers, oauth2_client, mtls, signing_secret)' }];
    for (const r of spec.required) {
      if (!secret[r]) problems.push({ field: `secret.${r}`, message: 'is required for this credential type' });
    }
    for (const n of names) {
      if (!spec.required.includes(n) && !spec.optional.includes(n)) {
        problems.push({ field: `secret.${n}`, message: `is not a field of this credential type (expected ${[...spec.required, ...spec.optional].join(', ')})` });
      }
    }
  }
  for (const [n, v] of Object.entries(secret)) {
    if (/[\r\n\0]/.test(v) && !n.endsWith('_pem')) problems.push({ field: `secret.${n}`, message: 'must not contain line breaks' });
  }
  if (Buffer.byteLength(JSON.stringify(secret)) > MAX_SECRET_BYTES) problems.push({ field: 'secret', message: `is larger than ${MAX_SECRET_BYTES} bytes` });
  return problems;
}

export function credentialInfo(stored: StoredCredential): CredentialInfo {
  return {
    orgId: stored.orgId,
    credentialId: stored.credentialId,
    type: stored.type,
    hint: stored.hint,
    updatedAt: new Date(stored.updatedAt),
    keyId: stored.keyId,
  };
}

export async function putCredential(store: CredentialStore, ring: KeyRing, req: PutCredentialRequest): Promise<CredentialInfo> {
  checkOrgId(req.orgId);
  const problems: FieldProblem[] = [];
  if (!CREDENTIAL_ID_PATTERN.test(req.credentialId)) {
    problems.push({ field: 'credential_id', message: CREDENTIAL_ID_RULE });
  }
  problems.push(...checkSecretFields(req.type, req.secret));
  if (problems.length > 0) {
    throw new SwitchboardError('INVALID_CREDENTIAL', `credential rejected: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, {
      fieldErrors: problems,
    });
  }
  const hintField = FIELDS[req.type]?.hintFrom;
  const sealed = sealSecret(ring, JSON.stringify(req.secret), credentialAad(req.orgId, req.credentialId));
  const stored: StoredCredential = {
    orgId: req.orgId,
    credentialId: req.credentialId,
    type: req.type,
    hint: req.type === CredentialType.CREDENTIAL_TYPE_MTLS ? 'certificate' : maskedHint(hintField ? req.secret[hintField] : undefined),
    keyId: ring.newestId,
    updatedAt: new Date().toISOString(),
    sealed,
  };
  await store.put(stored);
  return credentialInfo(stored);
}
