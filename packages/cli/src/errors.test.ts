import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

describe('describeError', () => {
  const addresses = { registry: '127.0.0.1:50051', executor: '127.0.0.1:50052' };
  const unavailable = (address: string) => Object.assign(new Error('14 UNAVAILABLE'), { code: 14, details: `No connection established. Last error: connect ECONNREFUSED ${address}`, metadata: { get: () => [] } });

  it('names the service that did not answer and the flag and variable that move it', () => {
    expect(describeError(unavailable('127.0.0.1:50052'), addresses)).toMatch(
      /^cannot reach the executor at 127\.0\.0\.1:50052 \(.*\): is it running\? .* --executor <host:port> or SWITCHBOARD_EXECUTOR \[SERVICE_UNAVAILABLE\]$/,
    );
    expect(describeError(unavailable('127.0.0.1:50051'), addresses)).toMatch(/^cannot reach the registry at 127\.0\.0\.1:50051 .*--registry <host:port> or SWITCHBOARD_REGISTRY \[SERVICE_UNAVAILABLE\]$/);
    expect(describeError(unavailable('10.0.0.9:1'), addresses)).toMatch(/--registry \(SWITCHBOARD_REGISTRY\) and the executor at --executor \(SWITCHBOARD_EXECUTOR\) \[SERVICE_UNAVAILABLE\]$/);
  });
});
