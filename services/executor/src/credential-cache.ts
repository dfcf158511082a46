import { openSecret, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { credentialAad, credentialKvKey, mirrorKv, type CredentialStore, type StoredCredential } from '@switchboard/store';
import type { CredentialSource, ResolvedCredential } from './auth/index.js';
import type { Resident, WorkingSet } from './working-set.js';

const PREFIX = 'credential:';

/** An opened credential in the working set. */
class OpenedCredential implements Resident {
  readonly bytes: number;
  constructor(
    public resolved: ResolvedCredential | undefined,
    plaintextBytes: number,
  ) {
    // The parsed fields (keys and values as strings) plus the objects around them.
    this.bytes = 512 + 4 * plaintextBytes;
  }

  release(): void {
    // JavaScript strings cannot be overwritten: the plaintext buffer was zeroed when it was parsed, and
    // letting go of the only reference leaves the field strings to the collector.
    this.resolved = undefined;
  }
}

/**
 * Credentials mirrored from the registry's KV bucket (sealed) and opened on first use into the working
 * set, which lets go of ones not used for a while. Plaintext lives only in this process's memory; a
 * rotated or replaced credential drops its opened copy when the feed says so.
 */
export class CredentialCache implements CredentialSource {
  private readonly sealed = new Map<string, StoredCredential>();
  private stopFeed: (() => void) | undefined;
  private openedCount = 0;

  private constructor(
    private readonly ring: KeyRing,
    private readonly working: WorkingSet,
  ) {}

  static async start(store: CredentialStore, ring: KeyRing, working: WorkingSet): Promise<CredentialCache> {
    const cache = new CredentialCache(ring, working);
    const feed = await mirrorKv(store.kv, {
      put: (entry) => {
        cache.sealed.set(entry.key, entry.json<StoredCredential>());
        working.delete(PREFIX + entry.key);
      },
      remove: (key) => {
        cache.sealed.delete(key);
        working.delete(PREFIX + key);
      },
    });
    cache.stopFeed = () => feed.stop();
    return cache;
  }

  get(orgId: string, credentialId: string): Promise<ResolvedCredential | undefined> {
    return Promise.resolve(this.getSync(orgId, credentialId));
  }

  getSync(orgId: string, credentialId: string): ResolvedCredential | undefined {
    const key = credentialKvKey(orgId, credentialId);
    const hit = this.working.get<OpenedCredential>(PREFIX + key)?.resolved;
    if (hit) return hit;
    const stored = this.sealed.get(key);
    if (!stored) return undefined;
    let fields: Record<string, string>;
    let plaintextBytes: number;
    try {
      const plaintext = openSecret(this.ring, stored.sealed, credentialAad(orgId, credentialId));
      plaintextBytes = plaintext.length;
      try {
        fields = JSON.parse(plaintext.toString('utf8')) as Record<string, string>;
      } finally {
        plaintext.fill(0);
      }
    } catch (err) {
      throw new SwitchboardError('AUTH_FAILED', `credential ${credentialId} of org ${orgId} cannot be decrypted with the configured master keys`, {
        cause: err,
      });
    }
    const resolved: ResolvedCredential = { type: stored.type, fields };
    this.working.set(PREFIX + key, new OpenedCredential(resolved, plaintextBytes));
    this.openedCount++;
    return resolved;
  }

  /** How many times a credential was opened (decrypted): a first use, or a use after it was let go. */
  get opens(): number {
    return this.openedCount;
  }

  stop(): void {
    this.stopFeed?.();
  }
}
