// Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: self time per function,
// inclusive time of the Switchboard functions, and time per package. Built files are mapped back to their
// TypeScript source through the .js.map files tsc writes beside them.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './processes.mjs';

/**
 * The executor's pipeline (resolve → validate → gate → build → authenticate → send → map → audit) and the
 * work around it, as [label, function name, file the function is in]. Inclusive time of each.
 */
const STEPS = [
  ['gRPC request decode', 'decode', 'packages/contracts/src/gen/switchboard/v1/executor.ts'],
  ['resolve (definition lookup)', 'run', 'services/executor/src/invocation/steps/resolve.ts'],
  ['validate: parse arguments JSON', 'parseArgumentsJson', 'services/executor/src/arguments.ts'],
  ['validate: check arguments', 'validateArguments', 'services/executor/src/arguments.ts'],
  ['audit: redact arguments', 'redactArguments', 'services/executor/src/redact.ts'],
  ['gate', 'evaluate', 'services/executor/src/burden/burden-gate.ts'],
  ['build: place values', 'resolvePlacedValues', 'services/executor/src/arguments.ts'],
  ['build: request', 'buildRequest', 'services/executor/src/request-builder.ts'],
  ['authenticate: credential', 'credentialFor', 'services/executor/src/authenticate.ts'],
  ['authenticate: apply', 'applyAuth', 'services/executor/src/auth/apply-auth.ts'],
  ['audit: redact request', 'redactRequest', 'services/executor/src/redact.ts'],
  ['send (breaker + retries + undici)', 'fire', 'services/executor/src/breakers.ts'],
  // sendRequest dispatches (and usually writes) the request; the answer arrives later in BodyCollector's callbacks.
  ['send: undici dispatch', 'sendRequest', 'services/executor/src/send/http-sender.ts'],
  ['send: answer headers', 'onResponseStart', 'services/executor/src/send/http-sender.ts'],
  ['send: answer body', 'onResponseEnd', 'services/executor/src/send/http-sender.ts'],
  ['Test-only response copy', 'recordedResponse', 'services/executor/src/invocation/record.ts'],
  ['record: response + audit event', 'record', 'services/executor/src/invocation/record.ts'],
  ['map: parse body', 'parseResponseBody', 'services/executor/src/response-mapper.ts'],
  ['map: JMESPath + summary', 'mapResponse', 'services/executor/src/response-mapper.ts'],
  ['gRPC response encode', 'responseSerialize', 'packages/contracts/src/gen/switchboard/v1/executor.ts'],
  ['audit: encode + publish to JetStream', 'publish', 'packages/audit/src/publisher.ts'],
  ['audit: pump (PubAck round trips)', '#pump', 'packages/audit/src/publisher.ts'],
  ['whole pipeline (run)', 'run', 'services/executor/src/invocation/run.ts'],
];

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

const maps = new Map();
function sourceMapFor(file) {
  if (!maps.has(file)) {
    let map = null;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** "services/executor/src/invocation/run.ts:40" for our code, "undici lib/dispatcher/client-h1.js:640" for a package, "node:net" for core. */
function locate(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  if (!url) return { where: '', pkg: 'v8/native' };
  if (url.startsWith('node:')) return { where: url, pkg: 'node core' };
  if (url.startsWith('wasm:')) return { where: 'wasm', pkg: 'wasm' };
  let file = url;
  try {
    if (url.startsWith('file:')) file = fileURLToPath(url);
  } catch {
    file = url;
  }
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(file) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(file);
  if (pnpm) return { where: `${pnpm[1]} ${pnpm[2]}:${lineNumber + 1}`, pkg: pnpm[1] };
  const rel = path.relative(ROOT, file);
  const ours = /^(services|packages)\/([^/]+)\//.exec(rel);
  if (ours) {
    const pkg = ours[1] === 'services' ? `services/${ours[2]}` : `@switchboard/${ours[2]}`;
    const entry = sourceMapFor(file)?.findEntry(lineNumber, columnNumber);
    if (entry && entry.originalSource) {
      let src = entry.originalSource;
      try {
        src = path.relative(ROOT, src.startsWith('file:') ? fileURLToPath(src) : path.resolve(path.dirname(file), src));
      } catch {
        // keep the map's own name
      }
      return { where: `${src}:${entry.originalLine + 1}`, pkg };
    }
    return { where: `${rel}:${lineNumber + 1}`, pkg };
  }
  return { where: `${rel}:${lineNumber + 1}`, pkg: 'other' };
}

/**
 * Summarises a profile; `top` bounds the lists. `window` ({ fromUs, toUs }, CLOCK_MONOTONIC microseconds
 * as process.hrtime gives them, the clock V8 stamps samples with on Linux) keeps only the load phase, so
 * module loading at start-up and shutdown do not dilute it.
 */
export function summarizeProfile(file, { top = 25, window } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const located = new Map(profile.nodes.map((n) => {
    const name = n.callFrame.functionName || '(anonymous)';
    return [n.id, { name, ...(SPECIAL.has(name) ? { where: '', pkg: name } : locate(n.callFrame)) }];
  }));
  // Node core, native and wasm frames are charged to the nearest caller in a package or in Switchboard:
  // a socket write is the cost of whoever wrote.
  const INTERNAL = new Set(['node core', 'v8/native', 'wasm', 'other']);
  const caller = new Map();
  const callerOf = (id) => {
    if (caller.has(id)) return caller.get(id);
    const loc = located.get(id);
    let found = null;
    if (!INTERNAL.has(loc.pkg)) found = { ...loc, id };
    else if (parent.has(id)) found = callerOf(parent.get(id));
    caller.set(id, found);
    return found;
  };
  const keyOf = new Map();
  const chargedTo = new Map();
  const info = new Map();
  for (const n of profile.nodes) {
    const { name, where: ownWhere, pkg: ownPkg } = located.get(n.id);
    const via = INTERNAL.has(ownPkg) && parent.has(n.id) ? callerOf(parent.get(n.id)) : null;
    const where = ownPkg === 'v8/native' && via ? `native, via ${via.name} (${via.where})` : ownWhere;
    const loc = { where, pkg: INTERNAL.has(ownPkg) ? (via && !SPECIAL.has(via.name) ? via.pkg : ownPkg) : ownPkg };
    const key = `${name}\u0000${loc.where}`;
    keyOf.set(n.id, key);
    chargedTo.set(n.id, loc.pkg);
    if (!info.has(key)) info.set(key, { function: name, where: loc.where, pkg: loc.pkg, selfUs: 0, totalUs: 0 });
  }

  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const meanDelta = samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 0;
  let totalUs = 0;
  let idleUs = 0;
  let counted = 0;
  const byPkg = new Map();
  const inWindow = window !== undefined && profile.startTime <= window.toUs && profile.endTime >= window.fromUs;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    if (inWindow && (at < window.fromUs || at > window.toUs)) continue;
    counted++;
    // A sample's weight is the time until the next one (the last one gets the mean interval).
    const dt = Math.max(0, deltas[i + 1] ?? meanDelta);
    const id = samples[i];
    const selfKey = keyOf.get(id);
    const self = info.get(selfKey);
    totalUs += dt;
    if (self.function === '(idle)') {
      idleUs += dt;
      continue;
    }
    self.selfUs += dt;
    const pkg = chargedTo.get(id);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + dt);
    // Inclusive time: every distinct function on the stack, once per sample even when recursive.
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const k = keyOf.get(n);
      if (seen.has(k)) continue;
      seen.add(k);
      info.get(k).totalUs += dt;
    }
  }
  const busyUs = totalUs - idleUs;
  const ms = (us) => Math.round(us / 10) / 100;
  const pct = (us) => Math.round((us / busyUs) * 1000) / 10;
  const all = [...info.values()].filter((f) => f.function !== '(idle)' && f.function !== '(root)');
  const row = (f) => ({ function: f.function, where: f.where, package: f.pkg, selfMs: ms(f.selfUs), selfPct: pct(f.selfUs), totalMs: ms(f.totalUs), totalPct: pct(f.totalUs) });
  return {
    file: path.relative(ROOT, file),
    wallMs: ms(totalUs),
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    samples: counted,
    window: inWindow ? 'load phase only' : 'whole process life',
    topSelf: all.sort((a, b) => b.selfUs - a.selfUs).slice(0, top).map(row),
    topSwitchboardInclusive: all
      .filter((f) => f.pkg.startsWith('services/') || f.pkg.startsWith('@switchboard/'))
      .sort((a, b) => b.totalUs - a.totalUs)
      .slice(0, top)
      .map(row),
    steps: STEPS.map(([label, fn, file]) => {
      let us = 0;
      for (const f of info.values()) if (f.function === fn && f.where.startsWith(`${file}:`)) us += f.totalUs;
      return { step: label, function: `${file.split('/').pop()}:${fn}`, totalMs: ms(us), totalPct: pct(us) };
    }),
    byPackage: [...byPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([pkg, us]) => ({ package: pkg, selfMs: ms(us), selfPct: pct(us) })),
  };
}
