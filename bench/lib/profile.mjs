// Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: self time per function,
// inclusive time of the Switchboard functions, and time per package. Built files are mapped back to their
// TypeScript source through the .js.map files tsc writes beside them.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './processes.mjs';

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

/** "services/executor/src/invoke.ts:172" for our code, "undici lib/dispatcher/client-h1.js:640" for a package, "node:net" for core. */
function locate(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  if (!url) return { where: '', pkg: 'v8/native' };
  if (url.startsWith('node:')) return { where: url, pkg: 'node core' };
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
  const keyOf = new Map();
  const info = new Map();
  for (const n of profile.nodes) {
    const name = n.callFrame.functionName || '(anonymous)';
    const loc = SPECIAL.has(name) ? { where: '', pkg: name } : locate(n.callFrame);
    const key = `${name}\u0000${loc.where}`;
    keyOf.set(n.id, key);
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
    byPkg.set(self.pkg, (byPkg.get(self.pkg) ?? 0) + dt);
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
    byPackage: [...byPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([pkg, us]) => ({ package: pkg, selfMs: ms(us), selfPct: pct(us) })),
  };
}
