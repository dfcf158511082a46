// pnpm-workspace.yaml patches @nats-io/nats-core (patches/): after every successful request, which every
// JetStream publish of an audit event is, the unpatched client built a RequestError("cancelled"), with
// its stack trace, only to reject a promise that had already resolved (about 3 % of the executor's CPU).
// This fails if a dependency update drops or misapplies the patch.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fromTest = createRequire(import.meta.url);
const natsCoreLib = dirname(createRequire(fromTest.resolve('@nats-io/transport-node')).resolve('@nats-io/nats-core'));
// Absolute paths: the package's `exports` hides lib/ from bare specifiers, not from files.
const errors = fromTest(join(natsCoreLib, 'errors.js')) as { RequestError: new (message?: string) => Error };
const { RequestOne } = fromTest(join(natsCoreLib, 'request.js')) as {
  RequestOne: new (mux: { cancel(r: unknown): void }, subject: string, opts: { timeout: number }, asyncTraces: boolean) => {
    resolver(err: Error | null, msg: unknown): void;
    deferred: Promise<unknown>;
  };
};

describe('the patched nats-core request', () => {
  it('settles a successful request without building a RequestError, and still leaves the mux', async () => {
    const Original = errors.RequestError;
    let built = 0;
    errors.RequestError = class extends Original {
      constructor(message?: string) {
        super(message);
        built++;
      }
    };
    try {
      const cancelled: unknown[] = [];
      const request = new RequestOne({ cancel: (r) => cancelled.push(r) }, 'subject', { timeout: 60_000 }, false);
      request.resolver(null, { data: 'ack' });
      await expect(request.deferred).resolves.toEqual({ data: 'ack' });
      expect(built).toBe(0);
      expect(cancelled).toEqual([request]);
    } finally {
      errors.RequestError = Original;
    }
  });
});
