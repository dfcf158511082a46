import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** An npm registry on loopback serving packages already installed in this workspace, so npm installs offline. */
export interface LocalNpmRegistry {
  readonly url: string;
  /** The packages it serves, by name (one version each). */
  readonly packages: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

interface Served {
  readonly manifest: Record<string, unknown>;
  readonly file: string;
  readonly integrity: string;
}

/** The node_modules directory a (real) package directory sits in: its dependencies are its siblings there (pnpm). */
function nodeModulesOf(dir: string): string {
  const marker = `${path.sep}node_modules${path.sep}`;
  return dir.slice(0, dir.lastIndexOf(marker) + marker.length - 1);
}

/**
 * The packages `names` need, found from `fromDir`'s node_modules and each package's own dependencies
 * (pnpm's layout), one version per name. Optional dependencies are included when installed.
 */
export function dependencyClosure(fromDir: string, names: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (siblings: string, name: string, optional: boolean) => {
    const candidate = path.join(siblings, name);
    if (!existsSync(candidate)) {
      if (optional) return;
      throw new Error(`${name} is not installed next to ${siblings}`);
    }
    const dir = realpathSync(candidate);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    const known = found.get(name);
    if (known !== undefined) {
      if (known !== dir) throw new Error(`two versions of ${name} would be needed: ${known} and ${dir}`);
      return;
    }
    found.set(name, dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(nodeModulesOf(dir), dep, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(nodeModulesOf(dir), dep, true);
  };
  for (const name of names) visit(path.join(realpathSync(fromDir), 'node_modules'), name, false);
  return found;
}

/**
 * Serves `packages` (name -> installed directory) as an npm registry on 127.0.0.1: a packument per name
 * (the package's own package.json plus `dist`) and a tarball made from the installed directory.
 */
export async function startLocalNpmRegistry(packages: ReadonlyMap<string, string>): Promise<LocalNpmRegistry> {
  const work = mkdtempSync(path.join(tmpdir(), 'sb-npm-registry-'));
  const served = new Map<string, Served>();
  for (const [name, dir] of packages) {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const file = path.join(work, `${name.replace('/', '__')}.tgz`);
    // npm expects every entry under package/, and skips link entries: pnpm's store hard-links identical
    // files (long's umd/types.d.ts and types.d.ts), so links are written as the files they point to.
    execFileSync('tar', ['-czf', file, '-C', dir, '--transform', 's,^\\.,package,', '--owner=0', '--group=0', '--hard-dereference', '.']);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
    served.set(name, { manifest, file, integrity });
  }
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?', 1)[0]!).slice(1);
    const tarball = /^(.+)\/-\/tarball\.tgz$/.exec(url);
    const entry = served.get(tarball ? tarball[1]! : url);
    if (entry === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    if (tarball) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(readFileSync(entry.file));
      return;
    }
    const version = String(entry.manifest['version']);
    const name = String(entry.manifest['name']);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const packument = {
      name,
      'dist-tags': { latest: version },
      versions: { [version]: { ...entry.manifest, dist: { tarball: `${base}/${name}/-/tarball.tgz`, integrity: entry.integrity } } },
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    packages: new Map([...served].map(([name, s]) => [name, String(s.manifest['version'])])),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
