import { needsRotation, openSecret, sealSecret, type KeyRing } from '@switchboard/crypto';
import { credentialAad, type CredentialStore } from '@switchboard/store';

/**
 * Re-encrypts every credential not sealed under the newest key. Safe to run while services are up:
 * each record is rewritten whole, and readers accept every key still in the ring.
 */
export async function rotateCredentialKeys(store: CredentialStore, ring: KeyRing): Promise<{ rotated: number; total: number }> {
  const all = await store.listAll();
  let rotated = 0;
  for (const record of all) {
    if (!needsRotation(ring, record.sealed)) continue;
    const aad = credentialAad(record.orgId, record.credentialId);
    const plain = openSecret(ring, record.sealed, aad);
    await store.put({ ...record, sealed: sealSecret(ring, plain, aad), keyId: ring.newestId });
    plain.fill(0);
    rotated++;
  }
  return { rotated, total: all.length };
}
