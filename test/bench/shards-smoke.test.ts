// Keeps the sharded case of `pnpm bench:scale` from rotting: `bench/scale.mjs --smoke --only shards`
// (2,000 definitions, two pools then four) into a scratch directory. What it proves is asserted (each
// pool loaded exactly its shard, no call lost or misrouted through the reshard); its timings are not.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/stack.js';

interface Pool {
  shard: string;
  loaded: number;
  owned: number;
}

interface ShardsResult {
  definitions: number;
  twoPools: Pool[];
  fourPools: Pool[];
  reshard: { calls: number; callsAfterMove: number; failures: Record<string, number>; redirects: number };
  misrouted: number;
}

describe('pnpm bench:scale, sharded case, reduced', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'sb-shards-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs four pools that each hold only their shard and reshards 2→4 under calls without losing one', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['bench/scale.mjs', '--smoke', '--only', 'shards', '--out', out, '--time-limit', '100'], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, output: text });
      });
    });
    expect(code, output).toBe(0);
    const r = JSON.parse(readFileSync(path.join(out, 'shards.json'), 'utf8')) as ShardsResult;
    expect(r.fourPools.map((p) => p.shard)).toEqual(['0/4', '1/4', '2/4', '3/4']);
    for (const p of [...r.twoPools, ...r.fourPools]) expect(p.loaded, JSON.stringify(p)).toBe(p.owned);
    expect(r.fourPools.reduce((n, p) => n + p.owned, 0)).toBe(r.definitions);
    expect(r.reshard.failures).toEqual({});
    expect(r.reshard.callsAfterMove).toBeGreaterThan(0);
    expect(r.reshard.redirects).toBe(0);
    expect(r.misrouted).toBe(0);
    expect(output).toMatch(/PASS a reshard from 2 to 4 pools loses no call/);
    expect(readFileSync(path.join(out, 'performance.md'), 'utf8')).toContain('<!-- bench:shards:start -->');
  }, 120_000);
});
