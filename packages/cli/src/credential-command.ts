import { CredentialType, credentialTypeToJSON } from '@switchboard/contracts';
import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';
import { UsageError } from './errors.js';
import { readSecret } from './read-secret.js';

const CREDENTIAL_TYPES: Record<string, { type: CredentialType; field?: string }> = {
  api_key: { type: CredentialType.CREDENTIAL_TYPE_API_KEY, field: 'value' },
  bearer: { type: CredentialType.CREDENTIAL_TYPE_BEARER, field: 'token' },
  signing_secret: { type: CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, field: 'value' },
  basic: { type: CredentialType.CREDENTIAL_TYPE_BASIC },
  custom_headers: { type: CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS },
  oauth2_client: { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT },
  mtls: { type: CredentialType.CREDENTIAL_TYPE_MTLS },
};

export async function credentialSetCommand(
  g: GlobalOptions,
  id: string,
  opts: { type: string; fromFile?: string },
  print: Print,
): Promise<void> {
  const spec = CREDENTIAL_TYPES[opts.type];
  if (!spec) throw new UsageError(`--type must be one of ${Object.keys(CREDENTIAL_TYPES).join(', ')}`);
  const text = await readSecret(opts.fromFile);
  let secret: Record<string, string>;
  if (spec.field) {
    secret = { [spec.field]: text };
  } else {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      secret = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      // Never echo the input: it is a secret even when malformed.
      throw new UsageError(`a ${opts.type} credential is read as a JSON object of its fields (e.g. {"username": "...", "password": "..."})`);
    }
  }
  await withClient(registryClient(g), async (client) => {
    const info = await client.putCredential(id, spec.type, secret);
    print(`stored ${info.credentialId} (${credentialTypeToJSON(info.type)}, ${info.hint}, key ${info.keyId})`);
  });
}

export async function credentialListCommand(g: GlobalOptions, print: Print): Promise<void> {
  await withClient(registryClient(g), async (client) => {
    for (const c of await client.listCredentials()) {
      print(`${c.credentialId.padEnd(32)} ${credentialTypeToJSON(c.type).padEnd(32)} ${c.hint.padEnd(10)} ${c.updatedAt?.toISOString() ?? ''}`);
    }
  });
}
