import { describe, expect, it } from 'vitest';
import { ConfigError } from '@switchboard/config';
import { deliverySettingsOf, loadExecutorConfig } from './config.js';

describe('executor shard configuration', () => {
  it('is unsharded by default, with the delivery queue named as configured', () => {
    const config = loadExecutorConfig({});
    expect([config.SHARD_COUNT, config.SHARD_INDEX]).toEqual([1, 0]);
    const d = deliverySettingsOf(config);
    expect([d.stream, d.subjectPrefix, d.consumer]).toEqual(['SWITCHBOARD_DELIVERIES', 'switchboard.delivery', 'executor-delivery']);
  });

  it('refuses a shard index outside the count, naming the variable', () => {
    expect(() => loadExecutorConfig({ SHARD_COUNT: '4', SHARD_INDEX: '4' })).toThrow(ConfigError);
    expect(() => loadExecutorConfig({ SHARD_COUNT: '4', SHARD_INDEX: '4' })).toThrow(/SHARD_INDEX is invalid/);
    expect(() => loadExecutorConfig({ SHARD_COUNT: '0' })).toThrow(/SHARD_COUNT is invalid/);
    expect(() => loadExecutorConfig({ SHARD_COUNT: '257' })).toThrow(/SHARD_COUNT is invalid/);
  });

  it("gives each pool its own delivery queue, apart from the unsharded one's and from the other pools'", () => {
    const names = [
      ...[0, 1].map((i) => deliverySettingsOf(loadExecutorConfig({ SHARD_COUNT: '2', SHARD_INDEX: String(i) }))),
      ...[0, 1, 2, 3].map((i) => deliverySettingsOf(loadExecutorConfig({ SHARD_COUNT: '4', SHARD_INDEX: String(i) }))),
    ];
    expect(names[0]).toMatchObject({ stream: 'SWITCHBOARD_DELIVERIES_S2_0', subjectPrefix: 'switchboard.delivery-s2_0', consumer: 'executor-delivery-s2_0' });
    expect(new Set(names.map((n) => n.stream)).size).toBe(6);
    // No pool's subjects fall under another's (or the unsharded `switchboard.delivery.>`): JetStream would refuse the stream.
    for (const n of names) expect(n.subjectPrefix.startsWith('switchboard.delivery.')).toBe(false);
    expect(new Set(names.map((n) => n.subjectPrefix)).size).toBe(6);
  });
});
