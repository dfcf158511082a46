import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthType, BurdenLevel, HttpMethod, Integration, Outcome, ParameterLocation, ParameterType, SpeechMode } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { dependencyClosure, startLocalNpmRegistry, type LocalNpmRegistry } from '../support/local-npm-registry.js';
import { ROOT, startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

const run = promisify(execFile);
const PACKAGE_DIR = path.join(ROOT, 'packages', 'runtime-client');
const CONSUMER = path.join(ROOT, 'test', 'runtime', 'packed-consumer', 'main.ts');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Output {
  tools: { openai: string[]; anthropic: string[] };
  first: { outcome: string; confirmationRequired: boolean };
  ask: { kind: string; question?: string };
  toolMessage: { role: string; tool_call_id: string; content: string };
  booked: { outcome: string; summary: string };
  toolResult: { type: string; tool_use_id: string; content: string; is_error?: boolean };
  after: string;
  slow: { outcome: string; next: string };
  said: string[];
}

function tool(key: string, method: HttpMethod, level: BurdenLevel, upstream: Upstream, extra: Partial<Integration> = {}): Integration {
  const location = method === HttpMethod.HTTP_METHOD_GET ? ParameterLocation.PARAMETER_LOCATION_QUERY : ParameterLocation.PARAMETER_LOCATION_BODY;
  return Integration.fromPartial({
    key,
    name: key,
    description: `The ${key} tool.`,
    enabled: true,
    method,
    urlTemplate: `${upstream.url}/${key}`,
    parameters: ['date', 'time'].map((name) => ({ name, type: ParameterType.PARAMETER_TYPE_STRING, required: true, location, description: name })),
    auth: { type: AuthType.AUTH_TYPE_NONE },
    burden: { level, confirmationPrompt: 'Shall I book a cleaning on {{ date }} at {{ time }}?', fillerPhrase: 'Let me look.' },
    ...extra,
  });
}

/**
 * @switchboard/runtime-client as a call-runtime team gets it: `pnpm pack`, then `npm install` of the
 * tarball into an empty project outside the workspace (its dependencies from a loopback registry
 * holding the workspace's installed copies: no network, no workspace links), a strict type-check of a
 * small runtime program there, and a run of that program against the real registry and executor.
 */
describe('runtime client: packed, installed with npm outside the workspace, type-checked and run', () => {
  let upstream: Upstream;
  let stack: Stack;
  let registry: LocalNpmRegistry;
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    upstream = await startUpstream(async (req, res) => {
      // The look-up answers slowly enough for its delay phrase, which the program sets to 150 ms.
      if (req.url.startsWith('/look_up_slots')) await new Promise((r) => setTimeout(r, 400));
      json(res, 200, { booked: true, slot: '14:00' });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    await stack.registryClient.create(
      tool('book_cleaning', HttpMethod.HTTP_METHOD_POST, BurdenLevel.BURDEN_LEVEL_CONFIRMED, upstream, {
        responseMapping: { fields: [{ name: 'slot', expression: 'slot' }], summaryTemplate: 'Booked for {{ slot }}.', maxResultBytes: 0, exports: {}, sensitiveExports: [] },
      }),
    );
    await stack.registryClient.create(
      tool('look_up_slots', HttpMethod.HTTP_METHOD_GET, BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, upstream, {
        speech: { startPhrase: 'Let me look.', delayPhrase: 'Still looking.', delayAfterMs: 150, failurePhrase: '' },
      }),
    );
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: 'look_up_slots', callId: randomUUID(), argumentsJson: '{"date":"2026-03-03","time":"09:00"}' });
      return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : r.speech?.mode === SpeechMode.SPEECH_MODE_FILLER;
    }, 'the executor to see the tools');

    work = mkdtempSync(path.join(tmpdir(), 'sb-packed-'));
    await run('npx', ['-y', 'pnpm@10.34.9', 'pack', '--pack-destination', work], { cwd: PACKAGE_DIR });
    tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    // What the tarball needs from npm, plus Node's types for the type-check, from this workspace's installation.
    registry = await startLocalNpmRegistry(new Map([...dependencyClosure(PACKAGE_DIR, ['@grpc/grpc-js', '@bufbuild/protobuf']), ...dependencyClosure(ROOT, ['@types/node'])]));
    project = path.join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', devDependencies: { '@types/node': registry.packages.get('@types/node') } }));
    copyFileSync(CONSUMER, path.join(project, 'main.ts'));
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], outDir: 'out', noUncheckedIndexedAccess: true }, files: ['main.ts'] }),
    );
  }, 180_000);

  afterAll(async () => {
    await registry?.close();
    await stack?.stop();
    await upstream?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships only the self-contained bundle, with exports, engines and a license, and no workspace dependency', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/dist/bundle/index.js');
    expect(files).toContain('package/dist/bundle/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => !f.startsWith('package/dist/bundle/') && !['package/package.json', 'package/README.md'].includes(f))).toEqual([]);
    expect(files.filter((f) => /\.(map|tsbuildinfo)$/.test(f) || f.includes('/src/'))).toEqual([]);
    const manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: '@switchboard/runtime-client',
      type: 'module',
      license: expect.any(String) as string,
      engines: { node: '>=20.19.0' },
      exports: { '.': { types: './dist/bundle/index.d.ts', default: './dist/bundle/index.js' } },
    });
    expect(manifest).not.toHaveProperty('private');
    expect(Object.keys(manifest['dependencies'] as object).sort()).toEqual(['@bufbuild/protobuf', '@grpc/grpc-js']);
  });

  it('installs with npm, type-checks a runtime program strictly, and runs it: OpenAI call, confirmation, Anthropic call, tool results', async () => {
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--ignore-scripts', `--registry=${registry.url}`, `--cache=${path.join(work, 'npm-cache')}`, tarball],
      { cwd: project, env: { ...process.env, npm_config_userconfig: path.join(work, 'no-npmrc') } },
    );
    expect(readdirSync(path.join(project, 'node_modules', '@switchboard'))).toEqual(['runtime-client']);

    const typecheck = await run(process.execPath, [TSC, '-p', project]).catch((err: { stdout: string }) => err);
    expect('stdout' in typecheck ? typecheck.stdout : '').toBe('');

    const callId = randomUUID();
    const before = upstream.requests.filter((r) => r.url === '/book_cleaning').length;
    const { stdout } = await run(process.execPath, [path.join(project, 'out', 'main.js')], {
      cwd: project,
      env: { ...process.env, EXECUTOR_ADDRESS: `127.0.0.1:${stack.executor.port}`, REGISTRY_ADDRESS: `127.0.0.1:${stack.registry.port}`, ORG_ID: stack.orgId, CALL_ID: callId },
    });
    const out = JSON.parse(stdout) as Output;
    expect(out.tools.openai.sort()).toEqual(['book_cleaning', 'look_up_slots']);
    expect(out.tools.anthropic.sort()).toEqual(['book_cleaning', 'look_up_slots']);
    expect(out.first).toEqual({ outcome: 'OUTCOME_CONFIRMATION_REQUIRED', confirmationRequired: true });
    expect(out.ask).toEqual({ kind: 'ask_confirmation', question: 'Shall I book a cleaning on 2026-03-03 at 14:00?' });
    expect(out.toolMessage).toMatchObject({ role: 'tool', tool_call_id: 'call_Xz1' });
    expect(JSON.parse(out.toolMessage.content)).toMatchObject({ ask_caller: 'Shall I book a cleaning on 2026-03-03 at 14:00?', done: false });
    expect(out.booked).toEqual({ outcome: 'OUTCOME_SUCCESS', summary: 'Booked for 14:00.' });
    expect(out.toolResult).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_01Ab' });
    expect(out.toolResult).not.toHaveProperty('is_error');
    expect(JSON.parse(out.toolResult.content)).toMatchObject({ done: true, summary: 'Booked for 14:00.', result: { slot: '14:00' } });
    expect(out.after).toBe('say_result');
    expect(out.slow).toEqual({ outcome: 'OUTCOME_SUCCESS', next: 'say_result' });
    expect(out.said).toEqual(['Booking that now.', 'Let me look.', 'Still looking.']);

    const booked = upstream.requests.filter((r) => r.url === '/book_cleaning');
    expect(booked.length).toBe(before + 1);
    expect(booked.at(-1)!.headers['x-allison-call-id']).toBe(callId);
    expect(JSON.parse(booked.at(-1)!.body)).toEqual({ date: '2026-03-03', time: '14:00' });
  }, 180_000);
});
