/**
 * Orgs hash into a fixed number of virtual partitions; shards own ranges of partitions. The number of
 * partitions never changes, so a key written once stays where it is when the number of shards does:
 * resharding moves ownership of partitions, never data.
 */
export const PARTITION_BITS = 8;
export const PARTITIONS = 1 << PARTITION_BITS;

const encoder = new TextEncoder();

/**
 * FNV-1a over the org id's UTF-8 bytes, then murmur3's finaliser so that the top bits (which pick the
 * partition) depend on every byte: org ids often differ only in their last characters. Stable across
 * processes, platforms and releases: changing it would strand every partitioned key.
 */
export function orgHash(orgId: string): number {
  let h = 0x811c9dc5;
  // Org ids are ASCII (ORG_ID_PATTERN), whose UTF-8 bytes are the char codes: no encoding on the call path.
  let ascii = true;
  for (let i = 0; i < orgId.length && ascii; i++) ascii = orgId.charCodeAt(i) < 0x80;
  if (ascii) {
    for (let i = 0; i < orgId.length; i++) {
      h ^= orgId.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  } else {
    for (const byte of encoder.encode(orgId)) {
      h ^= byte;
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The org's partition, 0 … PARTITIONS-1. */
export function partitionOf(orgId: string): number {
  return orgHash(orgId) >>> (32 - PARTITION_BITS);
}
