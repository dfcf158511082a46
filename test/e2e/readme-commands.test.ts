import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.js';
import { ROOT, isolatedNames } from '../support/stack.js';

/**
 * The README's shell blocks as a newcomer runs them after `pnpm demo`, in order, in one shell. The
 * demo runs on free ports with its own buckets and streams (other tests share NATS and Redis): the
 * CLI finds the moved services through SWITCHBOARD_REGISTRY / SWITCHBOARD_EXECUTOR, which the
 * README names; the demo API's port 4010 is replaced by the one it got, and simulate is pointed at
 * the demo's own audit stream. Not run: the install /
 * demo / test commands themselves (this test is what runs the demo), and the audit examples, whose
 * call id is a placeholder and whose --stream reads the default stream (test/e2e/audit-cli.test.ts
 * covers that command).
 */
function readmeBlocks(): string[] {
  const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .filter((block) => !/pnpm@[\d.]+ (demo|test)\b/.test(block) && !/ audit /.test(block));
}

interface Demo {
  readonly child: ChildProcess;
  readonly output: () => string;
}

function startDemo(env: Record<string, string>): Promise<Demo> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'dev-up.mjs')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the demo did not come up:\n${out}`)), 120_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Press Ctrl-C to stop everything.')) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}):\n${out}`)));
  });
}

describe("README: every command block works as written after `pnpm demo`", () => {
  let demo: Demo | undefined;
  const ports: Record<string, number> = {};
  const id = randomBytes(4).toString('hex');
  const pmsYaml = path.join(ROOT, 'pms.yaml');
  const hadPmsYaml = existsSync(pmsYaml);

  beforeAll(async () => {
    for (const name of ['REGISTRY_PORT', 'EXECUTOR_PORT', 'CONSOLE_PORT', 'MCP_PORT', 'DEMO_API_PORT']) ports[name] = await freePort();
    demo = await startDemo({
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      ...isolatedNames(id),
      ORG_TOKENS_BUCKET: `t_${id}_org_tokens`,
      CONSOLE_SESSIONS_BUCKET: `t_${id}_sessions`,
    });
  }, 180_000);

  afterAll(async () => {
    if (demo !== undefined && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo!.child.once('exit', r));
      demo.child.kill('SIGINT');
      await exited;
    }
    if (!hadPmsYaml) rmSync(pmsYaml, { force: true });
  }, 60_000);

  it('the demo prints an invoke command with the moved ports, and it answers as the README shows', () => {
    const printed = /^ {2}(node packages\/cli\/dist\/main\.js .* invoke .*)$/m.exec(demo!.output())?.[1];
    expect(printed).toContain(`--registry 127.0.0.1:${ports['REGISTRY_PORT']}`);
    const run = spawnSync('bash', ['-c', printed ?? 'false'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('outcome: OUTCOME_SUCCESS');
    expect(run.stdout).toContain('agent says: The next appointment is at 09:30 with Dr. Grace Hopper.');
  }, 60_000);

  it('the CLI, import and simulate blocks run in order and every command succeeds', () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    // What the isolation moved: the demo API's port, and the audit stream simulate reads.
    const moved = (block: string) =>
      block.replaceAll('127.0.0.1:4010', `127.0.0.1:${ports['DEMO_API_PORT']}`).replaceAll(' simulate ', ` simulate --stream-name T_${id}_AUDIT --subject-prefix t${id}.audit `);
    const script = ['set -euo pipefail', 'shopt -s expand_aliases', 'set -x', ...blocks.map(moved)].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
      env: { PATH: process.env['PATH'] ?? '', SWITCHBOARD_REGISTRY: `127.0.0.1:${ports['REGISTRY_PORT']}`, SWITCHBOARD_EXECUTOR: `127.0.0.1:${ports['EXECUTOR_PORT']}` },
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/created +appointment_lookup/);
    expect(run.stdout).toMatch(/created +list_patient_appointments/);
    expect(run.stdout).toContain('< HTTP 200');
  }, 300_000);
});
