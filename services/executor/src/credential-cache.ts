import { openSecret, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { credentialAad, credentialKvKey, mirrorKvFeeds, singleAttempt, splitLayoutKey, type CredentialStore, type MirroredEntry, type StartupStep, type StoredCredential } from '@switchboard/store';
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

export interface CredentialCacheOptions {
  /**
   * A shard's key filters (from @switchboard/sharding), one feed each: only its orgs' credentials are
   * followed. Without them, the whole bucket in either key layout.
   */
  readonly filters?: readonly string[] | undefined;
  /** Told when the fast start-up read failed and the KV watch replayed the bucket instead. */
  readonly onSnapshotFailed?: (err: unknown) => void;
  /** Runs the start of the feeds as a start-up step (repeated while JetStream does not answer); default: once. */
  readonly startup?: StartupStep | undefined;
}

/** A sealed credential as mirrored, and whether it came from the partitioned key (the newer while a bucket moves). */
interface Sealed {
  readonly stored: StoredCredential;
  readonly partitioned: boolean;
}

/**
 * Credentials mirrored from the registry's KV bucket (sealed) and opened on first use into the working
 * set, which lets go of ones not used for a while. Plaintext lives only in this process's memory; a
 * rotated or replaced credential drops its opened copy when the feed says so. Keyed `<org>.<id>`
 * whatever the KV layout, since a credential's AAD names only its org and id.
 */
export class CredentialCache implements CredentialSource {
  private readonly sealed = new Map<string, Sealed>();
  private stopFeeds: () => void = () => undefined;
  private openedCount = 0;

  private constructor(
    private readonly ring: KeyRing,
    private readonly working: WorkingSet,
  ) {}

  static async start(store: CredentialStore, ring: KeyRing, working: WorkingSet, options: CredentialCacheOptions = {}): Promise<CredentialCache> {
    const startup: StartupStep = options.startup ?? singleAttempt;
    // Each attempt fills a cache of its own: one that failed part-way may have applied keys since deleted.
    return startup('follow the credentials bucket', async () => {
      const cache = new CredentialCache(ring, working);
      const handlers = { put: (entry: MirroredEntry) => cache.put(entry), remove: (key: string) => cache.remove(key) };
      const feeds = await mirrorKvFeeds(store.kv, handlers, { filters: options.filters, snapshotOver: store.nc, onSnapshotFailed: options.onSnapshotFailed });
      cache.stopFeeds = () => feeds.stop();
      return cache;
    });
  }

  /** How many credentials are mirrored (sealed). */
  get size(): number {
    return this.sealed.size;
  }

  get(orgId: string, credentialId: string): Promise<ResolvedCredential | undefined> {
    return Promise.resolve(this.getSync(orgId, credentialId));
  }

  getSync(orgId: string, credentialId: string): ResolvedCredential | undefined {
    const key = credentialKvKey(orgId, credentialId);
    const hit = this.working.get<OpenedCredential>(PREFIX + key)?.resolved;
    if (hit) return hit;
    const stored = this.sealed.get(key)?.stored;
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
    this.stopFeeds();
  }

  private put(entry: MirroredEntry): void {
    const where = splitLayoutKey(entry.key);
    if (where === undefined) return;
    const key = credentialKvKey(where.orgId, where.name);
    // A flat copy arriving after the partitioned one (a move in progress) is the older of the two.
    if (this.sealed.get(key)?.partitioned === true && !where.partitioned) return;
    let stored: StoredCredential;
    try {
      stored = entry.json<StoredCredential>();
    } catch {
      return;
    }
    this.sealed.set(key, { stored, partitioned: where.partitioned });
    this.working.delete(PREFIX + key);
  }

  private remove(kvKey: string): void {
    const where = splitLayoutKey(kvKey);
    if (where === undefined) return;
    const key = credentialKvKey(where.orgId, where.name);
    // The flat key a move deletes after writing the partitioned one is not the credential any more.
    if (this.sealed.get(key)?.partitioned !== where.partitioned) return;
    this.sealed.delete(key);
    this.working.delete(PREFIX + key);
  }
}
