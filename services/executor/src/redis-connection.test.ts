import { describe, expect, it } from 'vitest';
import { parseSentinels } from './redis-connection.js';

describe('parseSentinels', () => {
  it('reads host:port lists, defaulting to the sentinel port', () => {
    expect(parseSentinels('redis-sentinel-0:26379, 10.0.0.7:26380,sentinel-2')).toEqual([
      { host: 'redis-sentinel-0', port: 26379 },
      { host: '10.0.0.7', port: 26380 },
      { host: 'sentinel-2', port: 26379 },
    ]);
  });

  it('refuses a port that is not one', () => {
    expect(() => parseSentinels('a:0')).toThrow(/invalid port in "a:0"/);
    expect(() => parseSentinels('a:70000')).toThrow(/invalid port/);
  });
});
