import { SwitchboardError } from '@switchboard/errors';

/** JetStream KV bucket holding integration definitions: key `<org_id>.<integration_key>`. */
export const INTEGRATIONS_BUCKET = 'switchboard_integrations';
/** JetStream KV bucket holding encrypted credentials: key `<org_id>.<credential_id>`. */
export const CREDENTIALS_BUCKET = 'switchboard_credentials';
/** Revisions kept per integration (JetStream's KV allows up to 64). */
export const INTEGRATION_HISTORY = 20;

/** Org ids: UUIDs or slugs. Restricted so that they are safe as NATS subject tokens and KV keys. */
export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Integration keys double as tool names for the models (OpenAI allows ^[a-zA-Z0-9_-]{1,64}$). */
export const INTEGRATION_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const CREDENTIAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkOrgId(orgId: string): string {
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new SwitchboardError('INVALID_ORG_ID', 'org_id must be 1-64 letters, digits, "_" or "-"', {
      fieldErrors: [{ field: 'org_id', message: 'must be 1-64 letters, digits, "_" or "-"' }],
    });
  }
  return orgId;
}

export function integrationKvKey(orgId: string, key: string): string {
  return `${orgId}.${key}`;
}

export function credentialKvKey(orgId: string, credentialId: string): string {
  return `${orgId}.${credentialId}`;
}

/** Splits a KV key back into org and name; undefined for keys not in our scheme. */
export function splitKvKey(kvKey: string): { orgId: string; name: string } | undefined {
  const dot = kvKey.indexOf('.');
  if (dot <= 0 || dot === kvKey.length - 1) return undefined;
  return { orgId: kvKey.slice(0, dot), name: kvKey.slice(dot + 1) };
}
