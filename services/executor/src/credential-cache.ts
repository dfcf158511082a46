import type { CredentialType } from '@switchboard/contracts';
import { openSecret, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { credentialAad, credentialKvKey, mirrorKv, type CredentialStore, type StoredCredential } from '@switchboard/store';
import type { CredentialSource, ResolvedCredential } from './auth/index.js';

/**
 * Credentials mirrored from the registry's KV bucket and opened on first use. Plaintext lives only in
 * this process's memory; a rotated or replaced credential drops its opened copy when the feed says so.
 */
export class CredentialCache implements CredentialSource {
  private readonly sealed = new Map<string, StoredCredential>();
  private readonly opened = new Map<string, ResolvedCredential>();
  private stopFeed: (() => void) | undefined;

  private constructor(private readonly ring: KeyRing) {}

  static async start(store: CredentialStore, ring: KeyRing): Promise<CredentialCache> {
    const cache = new CredentialCache(ring);
    const feed = await mirrorKv(store.kv, {
      put: (entry) => {
        cache.sealed.set(entry.key, entry.json<StoredCredential>());
        cache.opened.delete(entry.key);
      },
      remove: (key) => {
        cache.sealed.delete(key);
        cache.opened.delete(key);
      },
    });
    cache.stopFeed = feed.stop;
    return cache;
  }

  get(orgId: string, credentialId: string): Promise<ResolvedCredential | undefined> {
    return Promise.resolve(this.getSync(orgId, credentialId));
  }

  getSync(orgId: string, credentialId: string): ResolvedCredential | undefined {
    const key = credentialKvKey(orgId, credentialId);
    const hit = this.opened.get(key);
    if (hit) return hit;
    const stored = this.sealed.get(key);
    if (!stored) return undefined;
    let fields: Record<string, string>;
    try {
      fields = JSON.parse(openSecret(this.ring, stored.sealed, credentialAad(orgId, credentialId)).toString('utf8')) as Record<string, string>;
    } catch (err) {
      throw new SwitchboardError('AUTH_FAILED', `credential ${credentialId} of org ${orgId} cannot be decrypted with the configured master keys`, {
        cause: err,
      });
    }
    const resolved: ResolvedCredential = { type: stored.type as CredentialType, fields };
    this.opened.set(key, resolved);
    return resolved;
  }

  stop(): void {
    this.stopFeed?.();
  }
}
