import { needsRotation, openSecret, sealSecret, type KeyRing } from '@switchboard/crypto';
import { credentialAad, type CredentialStore, type VersionedCredential } from '@switchboard/store';

export interface RotationReport {
  /** Credentials re-sealed under the newest key by this run. */
  readonly rotated: number;
  readonly total: number;
  /** Credentials that did not open with any key in the ring (named, never shown): left as they are. */
  readonly failed: readonly { readonly orgId: string; readonly credentialId: string }[];
}

/** Attempts per credential when PutCredential keeps replacing it while we rotate. */
const MAX_ATTEMPTS = 5;

/**
 * Re-encrypts every credential not sealed under the newest key. Safe to run while services are up:
 * each record is rewritten whole and only if it is still the one that was read (a secret stored
 * meanwhile is never replaced by the old one), and readers accept every key still in the ring. A
 * credential that does not open is reported and skipped; the others are still rotated.
 */
export async function rotateCredentialKeys(store: CredentialStore, ring: KeyRing): Promise<RotationReport> {
  const all = await store.listAllVersioned();
  let rotated = 0;
  const failed: { orgId: string; credentialId: string }[] = [];
  for (const first of all) {
    let current: VersionedCredential | undefined = first;
    for (let attempt = 0; current && attempt < MAX_ATTEMPTS; attempt++) {
      const { record } = current;
      let stale: boolean;
      try {
        stale = needsRotation(ring, record.sealed);
      } catch {
        failed.push({ orgId: record.orgId, credentialId: record.credentialId });
        break;
      }
      if (!stale) break;
      // The org and id come from the record's KV key, so a record copied from elsewhere fails here.
      const aad = credentialAad(record.orgId, record.credentialId);
      let plain: Buffer;
      try {
        plain = openSecret(ring, record.sealed, aad);
      } catch {
        failed.push({ orgId: record.orgId, credentialId: record.credentialId });
        break;
      }
      const resealed = sealSecret(ring, plain, aad);
      plain.fill(0);
      if (await store.replace({ ...record, sealed: resealed, keyId: ring.newestId }, current)) {
        rotated++;
        break;
      }
      current = await store.getVersioned(record.orgId, record.credentialId);
    }
  }
  return { rotated, total: all.length, failed };
}
