import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PARTITIONS,
  isPartitionedKey,
  orgHash,
  partitionOf,
  partitionPrefixes,
  partitionRange,
  partitionedKey,
  shardKeyFilters,
  shardOf,
  shardOfPartition,
  unpartitionedKey,
} from './index.js';

const orgId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
const shardCount = fc.integer({ min: 1, max: PARTITIONS });

/** Does a KV key match a NATS subject filter (`*` one token, `>` one or more)? */
function matches(filter: string, key: string): boolean {
  const f = filter.split('.');
  const k = key.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return k.length > i;
    if (i >= k.length || (f[i] !== '*' && f[i] !== k[i])) return false;
  }
  return f.length === k.length;
}

describe('shard routing', () => {
  it('is stable: fixed values never change (keys written today must be found by every later release)', () => {
    expect(orgHash('demo')).toBe(orgHash('demo'));
    expect([partitionOf('demo'), partitionOf('org-1'), partitionOf('org-2'), partitionOf('acme_clinic')]).toMatchInlineSnapshot(`
      [
        121,
        9,
        192,
        209,
      ]
    `);
  });

  it('hashes the UTF-8 bytes, whatever the characters (ASCII takes a path of its own)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        let h = 0x811c9dc5;
        for (const byte of new TextEncoder().encode(s)) h = Math.imul(h ^ byte, 0x01000193);
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        expect(orgHash(s)).toBe(h >>> 0);
      }),
    );
  });

  it('puts every org in exactly one shard, and that shard owns its partition', () => {
    fc.assert(
      fc.property(orgId, shardCount, (org, count) => {
        const shard = shardOf(org, count);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(count);
        const { from, to } = partitionRange({ count, index: shard });
        expect(partitionOf(org)).toBeGreaterThanOrEqual(from);
        expect(partitionOf(org)).toBeLessThan(to);
      }),
    );
  });

  it('splits each shard in two when the count doubles (so a 2→4 reshard moves each org from one old pool)', () => {
    fc.assert(
      fc.property(orgId, fc.integer({ min: 0, max: 7 }), (org, log2) => {
        const n = 1 << log2;
        expect(Math.floor(shardOf(org, 2 * n) / 2)).toBe(shardOf(org, n));
      }),
    );
  });

  it('covers the partitions exactly once with each shard count, and its key filters select only its own keys', () => {
    fc.assert(
      fc.property(shardCount, fc.array(orgId, { minLength: 1, maxLength: 20 }), (count, orgs) => {
        const owners = new Array<number>(PARTITIONS).fill(0);
        for (let index = 0; index < count; index++) {
          const { from, to } = partitionRange({ count, index });
          for (let p = from; p < to; p++) {
            owners[p]! += 1;
            expect(shardOfPartition(p, count)).toBe(index);
          }
          expect(partitionPrefixes({ count, index }).length).toBeLessThanOrEqual(16);
        }
        expect(owners.every((n) => n === 1)).toBe(true);
        for (const org of orgs) {
          const key = partitionedKey(org, 'tool');
          for (let index = 0; index < count; index++) {
            const selected = shardKeyFilters({ count, index }).some((f) => matches(f, key));
            expect(selected).toBe(index === shardOf(org, count));
          }
          expect(matches('*.*', key)).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('one filter per shard when the count is a power of two', () => {
    expect(shardKeyFilters({ count: 1, index: 0 })).toEqual(['s.>']);
    expect(shardKeyFilters({ count: 4, index: 2 })).toEqual(['s.1.0.>']);
    expect(shardKeyFilters({ count: 3, index: 1 }).length).toBeGreaterThan(1);
  });

  it('balances: 100,000 org ids land within 5% of an even split over 4 and 16 shards', () => {
    for (const count of [4, 16]) {
      const per = new Array<number>(count).fill(0);
      for (let i = 0; i < 100_000; i++) per[shardOf(`org-${i}`, count)]! += 1;
      const even = 100_000 / count;
      for (const n of per) expect(Math.abs(n - even) / even).toBeLessThan(0.05);
    }
  });

  it('balances random org ids over the partitions (no partition holds more than twice its share)', () => {
    fc.assert(
      fc.property(fc.array(fc.uuid(), { minLength: 20_000, maxLength: 20_000 }), (ids) => {
        const per = new Array<number>(PARTITIONS).fill(0);
        for (const id of ids) per[partitionOf(id)]! += 1;
        const even = ids.length / PARTITIONS;
        expect(Math.max(...per)).toBeLessThan(2 * even);
        expect(Math.min(...per)).toBeGreaterThan(even / 2);
      }),
      { numRuns: 5 },
    );
  });

  it('reads both layouts back to <org>.<name>', () => {
    fc.assert(
      fc.property(orgId, fc.stringMatching(/^[a-z][a-z0-9_]{0,63}$/), (org, name) => {
        const key = partitionedKey(org, name);
        expect(isPartitionedKey(key)).toBe(true);
        expect(unpartitionedKey(key)).toBe(`${org}.${name}`);
        expect(isPartitionedKey(`${org}.${name}`)).toBe(false);
        expect(unpartitionedKey(`${org}.${name}`)).toBe(`${org}.${name}`);
      }),
    );
  });
});
