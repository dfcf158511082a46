// Finds NATS (JetStream) and Redis at NATS_URL / REDIS_URL, or starts them from PATH with their data
// under .data/, or says exactly how to get them. Used by `pnpm demo`, `pnpm test` and .ci/run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '@switchboard/harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function hostPort(url, defaultPort) {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

export function answers({ host, port }, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function onPath(cmd) {
  for (const dir of ['', '/usr/sbin/', '/usr/local/bin/', '/usr/bin/']) {
    const full = dir ? dir + cmd : cmd;
    if (spawnSync(full, ['--version'], { stdio: 'ignore' }).status === 0) return full;
  }
  return undefined;
}

async function waitFor(target, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await answers(target, 300)) return true;
    await sleep(100);
  }
  return false;
}

const HOW = {
  nats: 'install it (Debian: apt-get install nats-server; or a release from the NATS project) and run: nats-server -js',
  redis: 'install it (Debian: apt-get install redis-server) and run: redis-server',
};

/**
 * Returns the processes it started (to stop on exit). Throws with one sentence when a service is
 * neither reachable nor startable.
 */
export async function ensureLocalServices({ log = (m) => process.stderr.write(`${m}\n`), detached = false } = {}) {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const started = [];
  const dataDir = path.join(root, '.data');
  for (const svc of [
    { name: 'nats', url: natsUrl, port: 4222, bin: 'nats-server', args: (t, dir) => ['-js', '-a', t.host, '-p', String(t.port), '-sd', dir] },
    { name: 'redis', url: redisUrl, port: 6379, bin: 'redis-server', args: (t) => ['--bind', t.host, '--port', String(t.port), '--save', '', '--appendonly', 'no'] },
  ]) {
    const target = hostPort(svc.url, svc.port);
    if (await answers(target)) continue;
    const local = target.host === '127.0.0.1' || target.host === 'localhost' || target.host === '::1';
    const bin = local ? onPath(svc.bin) : undefined;
    if (!bin) {
      throw new Error(`${svc.name} does not answer at ${svc.url} and cannot be started here: ${HOW[svc.name]}`);
    }
    const dir = path.join(dataDir, svc.name);
    mkdirSync(dir, { recursive: true });
    const out = openSync(path.join(dataDir, `${svc.name}.log`), 'a');
    const child = spawn(bin, svc.args(target, dir), { stdio: ['ignore', out, out], detached, cwd: dir });
    if (detached) child.unref();
    if (!(await waitFor(target, 10_000))) {
      child.kill('SIGKILL');
      throw new Error(`${svc.name} was started from ${bin} but does not answer at ${svc.url}; see .data/${svc.name}.log`);
    }
    log(`started ${svc.name} at ${svc.url} (data in .data/${svc.name})`);
    started.push(child);
  }
  return started;
}

// As a script: make sure both answer, leaving any started server running in the background.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureLocalServices({ detached: true }).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
