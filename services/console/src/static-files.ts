import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The page's files, read once at start-up from fixed folders into a map of URL path → bytes: nothing
 * derived from a request ever reaches the file system.
 */
export function loadStaticFiles(
  roots: readonly { dir: string; prefix: string }[],
  single: readonly { file: string; as: string }[] = [],
): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        walk(full, `${prefix}${name}/`);
        continue;
      }
      const type = TYPES[path.extname(name)];
      if (type) files.set(`${prefix}${name}`, { body: readFileSync(full), type });
    }
  };
  for (const root of roots) walk(root.dir, root.prefix);
  for (const { file, as } of single) files.set(as, { body: readFileSync(file), type: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  return files;
}
