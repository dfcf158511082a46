import { ORG_ID_PATTERN, ORG_ID_RULE } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { isPartitionedKey, partitionKeyPrefix, unpartitionedKey } from '@switchboard/sharding';

/** JetStream KV bucket holding integration definitions: key `<org_id>.<integration_key>`. */
export const INTEGRATIONS_BUCKET = 'switchboard_integrations';
/**
 * JetStream KV bucket holding encrypted credentials: key `<org_id>.<credential_id>`, or in the
 * partitioned layout `s.<bits>.<org_id>.<credential_id>` (the org's partition, as its definitions).
 */
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

/**
 * Splits a key of either layout (`<org>.<name>` or `s.<bits>.<org>.<name>`) into org and name, and
 * says which layout it is in. A partitioned key whose bits are not its org's partition is not ours.
 */
export function splitLayoutKey(kvKey: string): { orgId: string; name: string; partitioned: boolean } | undefined {
  const partitioned = isPartitionedKey(kvKey);
  const parts = splitKvKey(partitioned ? unpartitionedKey(kvKey) : kvKey);
  if (parts === undefined) return undefined;
  if (partitioned && !kvKey.startsWith(`${partitionKeyPrefix(parts.orgId)}.`)) return undefined;
  return { ...parts, partitioned };
}

/**
 * The integrations bucket's key-layout marker: the layout the registry last finished moving both
 * buckets to, written only after the move. `=` is in no org id or integration key, and the key has no
 * dot, so it is never read as `<org>.<key>` (splitKvKey) nor selected by a shard's `s.…` filter.
 */
export const KEY_LAYOUT_MARKER_KEY = 'switchboard=key-layout';
