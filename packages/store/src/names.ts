import { ORG_ID_PATTERN, ORG_ID_RULE } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';

/** JetStream KV bucket holding integration definitions: key `<org_id>.<integration_key>`. */
export const INTEGRATIONS_BUCKET = 'switchboard_integrations';
/** JetStream KV bucket holding encrypted credentials: key `<org_id>.<credential_id>`. */
export const CREDENTIALS_BUCKET = 'switchboard_credentials';
/** Revisions kept per integration (JetStream's KV allows up to 64). */
export const INTEGRATION_HISTORY = 20;

export function checkOrgId(orgId: string): string {
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new SwitchboardError('INVALID_ORG_ID', `org_id ${ORG_ID_RULE}`, {
      fieldErrors: [{ field: 'org_id', message: ORG_ID_RULE }],
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
