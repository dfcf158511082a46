// Starting and watching the processes a benchmark run needs: the three Switchboard services (built
// dist, unique NATS/Redis names like test/support/stack.ts), helper servers in their own processes,
// and /proc readings (CPU time, RSS) of any of them.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAll, launch, portsOf, sleep } from '@switchboard/harness';
import { load } from './deps.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Output kept per service for error messages and scans (about 64 KB of log lines). */
const OUTPUT_TAIL_LINES = 500;
const MAX_LOG_LINES = 1_000;
/** Plenty for a run's audit events (about 1 KB each). */
export const AUDIT_STREAM_BYTES = 512 * 2 ** 20;

/** The helpers and local servers this process started (services are the harness's), so a watchdog or Ctrl-C can stop exactly those. */
const children = new Set();

export function killStartedChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  // killAll sends its signals at once; its promise only waits for the exits.
  void killAll();
}

export function assertBuilt() {
  const missing = ['registry', 'executor', 'audit-logger']
    .map((s) => path.join('services', s, 'dist', 'main.js'))
    .filter((p) => !existsSync(path.join(ROOT, p)));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`pnpm bench\` (it builds first) or \`pnpm run build\``);
}

export function uniqueId() {
  return randomBytes(4).toString('hex');
}

/** Service environment with names no other run or test uses. */
export function serviceEnv(id, auditDir) {
  return {
    NATS_URL,
    REDIS_URL,
    LOG_LEVEL: 'info',
    SWITCHBOARD_MASTER_KEYS: `bench1:${randomBytes(32).toString('base64')}`,
    INTEGRATIONS_BUCKET: `b_${id}_integrations`,
    CREDENTIALS_BUCKET: `b_${id}_credentials`,
    AUDIT_STREAM: `B_${id}_AUDIT`,
    AUDIT_DLQ_STREAM: `B_${id}_AUDIT_DLQ`,
    AUDIT_SUBJECT_PREFIX: `b${id}.audit`,
    AUDIT_CONSUMER: `b_${id}_logger`,
    AUDIT_DIR: auditDir,
    REDIS_KEY_PREFIX: `b${id}:`,
    REGISTRY_PORT: '0',
    EXECUTOR_PORT: '0',
    // The executor's operations port: the benchmark reads the spool's fdatasync histogram from /metrics.
    EXECUTOR_HTTP_PORT: '0',
    SWITCHBOARD_EGRESS_ALLOW: '127.0.0.1/32',
    // JetStream reserves a stream's max_bytes up front: the 10 GiB default of the executor and the
    // logger (twice: stream and dead-letter stream) can exhaust a shared test server's reservable storage.
    AUDIT_MAX_BYTES: String(AUDIT_STREAM_BYTES),
  };
}

/**
 * Starts services/<name>/dist/main.js and resolves once it logs "<name> ready". `nodeArgs` go to this
 * process only (e.g. --cpu-prof: Node 20 refuses it in NODE_OPTIONS, so it goes on the command line);
 * the benchmark's own NODE_OPTIONS is never passed on. `distDir` (under services/<name>) lets bench/ab.mjs
 * run a saved build beside the current one.
 */
export async function startService(name, env, { nodeArgs = [], readyTimeoutMs = 30_000, distDir = 'dist' } = {}) {
  const spawnedAt = performance.now();
  // Each executor needs an audit spool of its own (it refuses one another live process holds), and a
  // run may have several executors up at once: a fresh one per start unless the caller chose one.
  const spool = name === 'executor' && env.AUDIT_SPOOL_DIR === undefined ? mkdtempSync(path.join(tmpdir(), 'sb-bench-spool-')) : undefined;
  /** The first JSON log lines with the time each arrived, for start-up timings. */
  const logLines = [];
  const onLine = (line) => {
    if (logLines.length >= MAX_LOG_LINES) return;
    try {
      const parsed = JSON.parse(line);
      parsed.seenAtMs = performance.now();
      logLines.push(parsed);
    } catch {
      // Not a log line (a warning from node itself).
    }
  };
  let proc;
  try {
    proc = await launch({
      name,
      args: [...nodeArgs, path.join(ROOT, 'services', name, distDir, 'main.js')],
      env: { ...env, ...(spool ? { AUDIT_SPOOL_DIR: spool } : {}), NODE_OPTIONS: '' },
      readyLine: (line) => line.includes(`"msg":"${name} ready"`),
      readyTimeoutMs,
      keepLines: OUTPUT_TAIL_LINES,
      onLine,
    });
  } catch (err) {
    if (spool) rmSync(spool, { recursive: true, force: true });
    throw err;
  }
  if (spool) void proc.exited.then(() => rmSync(spool, { recursive: true, force: true }));
  const ready = logLines.find((l) => l.msg === `${name} ready`);
  return {
    name,
    child: proc.child,
    pid: proc.pid,
    ...portsOf(proc.readyLine),
    startupMs: (ready?.seenAtMs ?? performance.now()) - spawnedAt,
    logLines,
    output: proc.output,
    exited: () => !proc.isRunning(),
    stop: async (signal = 'SIGTERM', graceMs = 15_000) => (await proc.stop({ signal, timeoutMs: graceMs })).code,
  };
}

function stopChild(child, signal, graceMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(force);
      children.delete(child);
      resolve(code);
    });
    child.kill(signal);
  });
}

/**
 * Forks a helper server (bench/lib/*-server.mjs) with an IPC channel. The helper sends
 * { type: 'ready', port } once it listens and answers { id, ... } messages with { id, reply }.
 */
export function startHelper(script, config) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(ROOT, 'bench', 'lib', script), [JSON.stringify(config)], {
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    let nextId = 1;
    const waiting = new Map();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start in 10 s`));
    }, 10_000);
    child.on('message', (msg) => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve({
          pid: child.pid,
          port: msg.port,
          request: (message) =>
            new Promise((res) => {
              const id = nextId++;
              waiting.set(id, res);
              child.send({ ...message, id });
            }),
          stop: () => stopChild(child, 'SIGTERM', 5_000),
        });
        return;
      }
      const res = waiting.get(msg.id);
      if (res) {
        waiting.delete(msg.id);
        res(msg.reply);
      }
    });
    child.once('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code})`));
    });
  });
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports.

/** user + system CPU seconds a process has used so far; undefined when it cannot be read. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields we need come after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Resident set size now and at its peak, in MiB. */
export function memoryMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** Pids whose command name is `comm` (read-only: used to attribute CPU to nats-server and redis-server). */
export function pidsByComm(comm) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const v = fields.map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds of a set of named processes, for "how the cores were shared". */
export function cpuSnapshot(named) {
  const snap = { client: process.cpuUsage(), at: performance.now(), machine: machineBusySeconds() };
  for (const [name, pids] of Object.entries(named)) {
    snap[name] = pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  }
  return snap;
}

/** CPU cores each process used between two snapshots (1.0 = one core busy the whole time). */
export function cpuShares(before, after) {
  const wallS = (after.at - before.at) / 1000;
  const shares = {};
  for (const name of Object.keys(before)) {
    if (name === 'at') continue;
    if (name === 'client') {
      const us = after.client.user + after.client.system - before.client.user - before.client.system;
      shares.client = us / 1e6 / wallS;
    } else {
      // A process found by name may have ended meanwhile; its time is then unknown, not negative.
      shares[name] = Math.max(0, after[name] - before[name]) / wallS;
    }
  }
  // Whatever else ran on the machine meanwhile (other test suites, the OS): busy minus what we can name.
  const named = Object.entries(shares).reduce((sum, [k, v]) => (k === 'machine' ? sum : sum + v), 0);
  shares.other = Math.max(0, shares.machine - named);
  return shares;
}

/** Deletes the run's KV buckets, audit streams and Redis keys. */
export async function removeNamespace(env) {
  const { connect } = await load('@nats-io/transport-node');
  const { jetstreamManager } = await load('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of [`KV_${env.INTEGRATIONS_BUCKET}`, `KV_${env.CREDENTIALS_BUCKET}`, env.AUDIT_STREAM, env.AUDIT_DLQ_STREAM, `${env.AUDIT_STREAM}_DLQ`]) {
      await jsm.streams.delete(stream).catch(() => false);
    }
  } finally {
    await nc.close();
  }
  const { Redis } = await load('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Makes sure NATS and Redis answer (starting them from PATH if not), as `pnpm test` does. */
export async function ensureNatsAndRedis(log) {
  const { ensureLocalServices } = await import(new URL('../../scripts/local-services.mjs', import.meta.url).href);
  const started = await ensureLocalServices({ log });
  for (const child of started) children.add(child);
  return started;
}

/** Polls `probe` until it returns true; its last answer (or error) is in the timeout message. */
export async function waitUntil(probe, what, timeoutMs = 15_000) {
  const until = performance.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last === true) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (performance.now() > until) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await sleep(100);
  }
}

/** process.memoryUsage() of a process started with --inspect, after a full GC, over the inspector protocol. */
export async function heapOf(service) {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(service.output())?.[1];
  if (!url) return { heapUsedMiB: NaN, rssMiB: memoryMiB(service.pid).rss };
  const { WebSocket } = await load('undici');
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data));
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('HeapProfiler.collectGarbage');
  const res = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
  ws.close();
  const mem = JSON.parse(res.result.result.value);
  return { heapUsedMiB: mem.heapUsed / 2 ** 20, rssMiB: mem.rss / 2 ** 20 };
}
