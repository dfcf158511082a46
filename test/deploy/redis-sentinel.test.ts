import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnProcess, waitFor, type ManagedProcess } from '../support/processes.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Issue 20 item 8: the README promises Redis Sentinel. A test-owned primary and sentinel on loopback; the
 * executor is given only the sentinel's address (REDIS_URL points at a closed port) and must find the
 * primary through it.
 */
describe('Redis Sentinel', () => {
  let dir: string;
  let primary: ManagedProcess;
  let sentinel: ManagedProcess;
  let primaryPort: number;
  let stack: Stack;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-sentinel-'));
    primaryPort = await freePort();
    const sentinelPort = await freePort();
    primary = await spawnProcess({
      name: 'redis-primary',
      command: 'redis-server',
      args: ['--port', String(primaryPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      readyLine: /Ready to accept connections/,
    });
    // A sentinel rewrites its configuration file, so it gets its own.
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor sbprimary 127.0.0.1 ${primaryPort} 1\n`);
    sentinel = await spawnProcess({ name: 'redis-sentinel', command: 'redis-server', args: [conf, '--sentinel'], readyLine: /monitor master sbprimary|Sentinel ID/ });
    stack = await startStack({
      withLogger: false,
      executorEnv: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: 'sbprimary' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await sentinel?.stop();
    await primary?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the executor connects to the primary the sentinel names', async () => {
    const admin = new Redis({ port: primaryPort, host: '127.0.0.1' });
    try {
      const clients = await waitFor(async () => {
        const list = await admin.client('LIST');
        return String(list).includes('name=switchboard-executor') ? String(list) : undefined;
      }, { timeoutMs: 15_000, what: 'the executor on the primary' });
      expect(clients).toContain('name=switchboard-executor');
    } finally {
      admin.disconnect();
    }
  });
});
