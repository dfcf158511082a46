// README command 1: starts NATS and Redis if needed, the three services, a demo API on loopback, and
// registers the demo integration; prints a command that invokes it. Ctrl-C stops everything.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '@switchboard/harness';
import { ensureLocalServices } from './local-services.mjs';
import { startDemoApi } from './demo-api.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dev = path.join(root, '.data', 'dev');
mkdirSync(path.join(dev, 'logs'), { recursive: true });
const say = (m) => process.stdout.write(`${m}\n`);

const ORG = process.env.SWITCHBOARD_ORG ?? 'demo';
const REGISTRY_PORT = Number(process.env.REGISTRY_PORT ?? 50051);
const EXECUTOR_PORT = Number(process.env.EXECUTOR_PORT ?? 50052);
const CONSOLE_PORT = Number(process.env.CONSOLE_PORT ?? 8080);
const MCP_PORT = Number(process.env.MCP_PORT ?? 8090);

function devSecret(file, make) {
  const p = path.join(dev, file);
  if (!existsSync(p)) writeFileSync(p, make(), { mode: 0o600 });
  return readFileSync(p, 'utf8').trim();
}

const children = [];
let stopping = false;

/** Starts a built service with its output in .data/dev/logs/<name>.log; resolves once it is ready. */
async function startService(name, env) {
  const log = createWriteStream(path.join(dev, 'logs', `${name}.log`), { flags: 'a' });
  let proc;
  try {
    proc = await launch({
      name,
      args: [path.join(root, 'services', name, 'dist', 'main.js')],
      env,
      readyLine: `${name} ready`,
      readyTimeoutMs: 60_000,
      keepLines: 200,
      onOutput: (chunk) => log.write(chunk),
    });
  } catch (err) {
    throw new Error(`${err.message}\n(all of it in .data/dev/logs/${name}.log)`);
  }
  children.push(proc.child);
  void proc.exited.then(({ code, signal }) => {
    if (!stopping) say(`${name} exited unexpectedly (${code ?? signal}); see .data/dev/logs/${name}.log`);
  });
  return proc.child;
}

async function main() {
  const started = await ensureLocalServices({ log: say });
  children.push(...started);
  const masterKeys = devSecret('master.keys', () => `dev1:${randomBytes(32).toString('base64')}`);
  const demoKey = devSecret('demo-api.key', () => `demo-${randomBytes(16).toString('hex')}`);
  const api = await startDemoApi({ port: Number(process.env.DEMO_API_PORT ?? 4010), apiKey: demoKey });
  const apiUrl = `http://127.0.0.1:${api.address().port}`;

  const common = { SWITCHBOARD_MASTER_KEYS: masterKeys, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  await startService('registry', { ...common, REGISTRY_PORT: String(REGISTRY_PORT) });
  await startService('audit-logger', { ...common, AUDIT_DIR: path.join(root, '.data', 'audit') });
  // The demo API lives on loopback, which the egress guard blocks unless it is allowed explicitly.
  await startService('executor', { ...common, EXECUTOR_PORT: String(EXECUTOR_PORT), SWITCHBOARD_EGRESS_ALLOW: '127.0.0.1/32' });

  const { RegistryClient } = await import('../packages/client/dist/index.js');
  const { parseIntegrationDocuments } = await import('../packages/definition/dist/index.js');
  const { CredentialType } = await import('../packages/contracts/dist/index.js');
  const text = readFileSync(path.join(root, 'examples', 'demo', 'look-up-appointments.yaml'), 'utf8').replaceAll('DEMO_API', apiUrl);
  const { integrations, problems } = parseIntegrationDocuments(text, 'look-up-appointments.yaml');
  if (problems.length > 0) throw new Error(`demo definition is invalid: ${JSON.stringify(problems)}`);
  const registry = new RegistryClient({ address: `127.0.0.1:${REGISTRY_PORT}` }, ORG);
  await registry.putCredential('demo-pms-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: demoKey });
  for (const integration of integrations) {
    try {
      const current = await registry.get(integration.key);
      await registry.update(integration, current.revision);
    } catch (err) {
      if (err?.code !== 5) throw err;
      await registry.create(integration);
    }
  }
  registry.close();

  await startService('console', {
    ...common,
    CONSOLE_PORT: String(CONSOLE_PORT),
    REGISTRY_ADDRESS: `127.0.0.1:${REGISTRY_PORT}`,
    EXECUTOR_ADDRESS: `127.0.0.1:${EXECUTOR_PORT}`,
    AUDIT_DIR: path.join(root, '.data', 'audit'),
  });
  const consoleToken = execFileSync(
    process.execPath,
    [path.join(root, 'packages/cli/dist/main.js'), '--org', ORG, 'token', 'create', '--name', 'demo console'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  ).trim();
  await startService('mcp-gateway', {
    ...common,
    MCP_PORT: String(MCP_PORT),
    REGISTRY_ADDRESS: `127.0.0.1:${REGISTRY_PORT}`,
    EXECUTOR_ADDRESS: `127.0.0.1:${EXECUTOR_PORT}`,
  });

  say('');
  say(`Switchboard is up: registry 127.0.0.1:${REGISTRY_PORT}, executor 127.0.0.1:${EXECUTOR_PORT}, demo API ${apiUrl} (its OpenAPI document: ${apiUrl}/openapi.yaml; its key: .data/dev/demo-api.key)`);
  say(`Logs: .data/dev/logs/   Audit trail: .data/audit/`);
  say('Invoke the demo integration (in another terminal):');
  say('');
  // Ports moved by REGISTRY_PORT / EXECUTOR_PORT go into the command, so it works as printed.
  const moved = [
    ...(REGISTRY_PORT === 50051 ? [] : [`--registry 127.0.0.1:${REGISTRY_PORT}`]),
    ...(EXECUTOR_PORT === 50052 ? [] : [`--executor 127.0.0.1:${EXECUTOR_PORT}`]),
  ];
  say(`  node packages/cli/dist/main.js --org ${ORG}${moved.map((f) => ` ${f}`).join('')} invoke look_up_appointments --args '{"patient_id":"p-1001","date":"2026-12-01"}'`);
  say('');
  say(`Console: http://127.0.0.1:${CONSOLE_PORT}/  sign in for org ${ORG} with this token (shown once):`);
  say(`  ${consoleToken}`);
  say(`MCP (Streamable HTTP): http://127.0.0.1:${MCP_PORT}/mcp  with  Authorization: Bearer <the token above>`);
  say('');
  say('Press Ctrl-C to stop everything.');

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    api.close();
    for (const c of children.reverse()) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`switchboard demo failed: ${err.message}\n`);
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  process.exit(1);
});
