import { ORG_ID_PATTERN, ORG_ID_RULE, ORG_TOKEN_ID_PATTERN } from '@switchboard/contracts';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { timingSafeEqualString } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { bindKv } from '@switchboard/store';
import { generateToken, hashOf, looksLikeToken, tokenIdOf } from './token-format.js';
import type { CreatedOrgToken, OpenOrgTokenStoreOptions, OrgTokenInfo } from './types.js';

/** JetStream KV bucket holding org API tokens, by hash. */
export const ORG_TOKENS_BUCKET = 'switchboard_org_tokens';

const NAME_PATTERN = /^[\w .:@-]{1,64}$/;

/** What is written under `h.<hash>`: the hash again, so a verify compares it in constant time. */
interface StoredToken extends OrgTokenInfo {
  readonly hash: string;
}

const encoder = new TextEncoder();

function hashKey(hash: string): string {
  return `h.${hash}`;
}

function orgKey(orgId: string, tokenId: string): string {
  return `o.${orgId}.${tokenId}`;
}

function checkOrg(orgId: string): void {
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new SwitchboardError('INVALID_ORG_ID', `org id ${ORG_ID_RULE}`, {
      fieldErrors: [{ field: 'org_id', message: ORG_ID_RULE }],
    });
  }
}

function infoOf(stored: StoredToken): OrgTokenInfo {
  return { tokenId: stored.tokenId, orgId: stored.orgId, name: stored.name, createdAt: stored.createdAt };
}

/**
 * Org API tokens in JetStream KV. A token is `sbt_<random>`; the store keeps only its SHA-256, under
 * `h.<hash>` (for verify) and `o.<org>.<tokenId>` (for list and revoke). The value is returned once by
 * `create` and cannot be read back.
 */
export class OrgTokenStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, options: OpenOrgTokenStoreOptions = {}): Promise<OrgTokenStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? ORG_TOKENS_BUCKET, { history: 1, replicas: options.replicas ?? 1 });
    return new OrgTokenStore(kv);
  }

  /**
   * For a client that is not the bucket's owner (the CLI): waits for the console or MCP gateway to have
   * created it at KV_REPLICAS, never creates it itself.
   */
  static async bind(nc: NatsConnection, options: { bucket?: string | undefined; timeoutMs?: number } = {}): Promise<OrgTokenStore> {
    return new OrgTokenStore(await bindKv(nc, options.bucket ?? ORG_TOKENS_BUCKET, { owner: 'console or MCP gateway', timeoutMs: options.timeoutMs }));
  }

  async create(orgId: string, name = 'token', now = new Date()): Promise<CreatedOrgToken> {
    checkOrg(orgId);
    if (!NAME_PATTERN.test(name)) {
      throw new SwitchboardError('INVALID_TOKEN_NAME', 'a token name is 1-64 letters, digits, spaces or ". : @ _ -"', {
        fieldErrors: [{ field: 'name', message: 'must be 1-64 letters, digits, spaces or ". : @ _ -"' }],
      });
    }
    const token = generateToken();
    const hash = hashOf(token);
    const stored: StoredToken = { tokenId: tokenIdOf(hash), orgId, name, createdAt: now.toISOString(), hash };
    const bytes = encoder.encode(JSON.stringify(stored));
    await this.kv.create(hashKey(hash), bytes);
    await this.kv.put(orgKey(orgId, stored.tokenId), bytes);
    return { token, info: infoOf(stored) };
  }

  /**
   * For a service that only verifies tokens (the registry, the executor): opens the bucket without
   * creating it and without waiting for it. Until its owner (the console or the MCP gateway) created
   * it, no token exists, so none verifies.
   */
  static async forVerifying(nc: NatsConnection, options: Pick<OpenOrgTokenStoreOptions, 'bucket'> = {}): Promise<OrgTokenStore> {
    return new OrgTokenStore(await new Kvm(nc).open(options.bucket ?? ORG_TOKENS_BUCKET));
  }

  /** The token's org and label, or undefined for a malformed, unknown or revoked token (or a bucket nobody created yet). */
  async verify(token: string): Promise<OrgTokenInfo | undefined> {
    if (!looksLikeToken(token)) return undefined;
    const hash = hashOf(token);
    const entry = await this.kv.get(hashKey(hash)).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
      throw err;
    });
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    const stored = entry.json<StoredToken>();
    if (!timingSafeEqualString(stored.hash, hash)) return undefined;
    return infoOf(stored);
  }

  async list(orgId: string): Promise<OrgTokenInfo[]> {
    checkOrg(orgId);
    const out: OrgTokenInfo[] = [];
    for await (const key of await this.kv.keys(`o.${orgId}.*`)) {
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT' && entry.length > 0) out.push(infoOf(entry.json<StoredToken>()));
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Whether a token (by id) still exists: sessions opened with a revoked token end at their next check. */
  async isActive(orgId: string, tokenId: string): Promise<boolean> {
    if (!ORG_ID_PATTERN.test(orgId) || !ORG_TOKEN_ID_PATTERN.test(tokenId)) return false;
    const entry = await this.kv.get(orgKey(orgId, tokenId));
    return entry !== null && entry.operation === 'PUT' && entry.length > 0;
  }

  /** Revokes one of the org's tokens by id; false when the org has no such token. */
  async revoke(orgId: string, tokenId: string): Promise<boolean> {
    checkOrg(orgId);
    if (!ORG_TOKEN_ID_PATTERN.test(tokenId)) return false;
    const entry = await this.kv.get(orgKey(orgId, tokenId));
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return false;
    const stored = entry.json<StoredToken>();
    await this.kv.purge(hashKey(stored.hash));
    await this.kv.purge(orgKey(orgId, tokenId));
    return true;
  }
}
