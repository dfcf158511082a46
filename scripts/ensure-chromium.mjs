// The console's browser tests drive Debian's Chromium with playwright-core (no browser download).
// Installs it with apt-get when it is missing and we may, or says exactly how to get it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.CHROMIUM_PATH) {
  process.stderr.write(`Chromium is needed for the console's browser tests and was not found at ${path}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.\n`);
  process.exit(1);
}
process.stderr.write('installing Debian chromium for the console browser tests…\n');
for (const args of [['update'], ['install', '-y', 'chromium']]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    process.stderr.write(`apt-get ${args.join(' ')} failed; install chromium by hand or set CHROMIUM_PATH.\n`);
    process.exit(1);
  }
}
