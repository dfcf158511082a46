import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/stack.js';

/** Every file under the folders that hold tests, relative to the root, with "/" separators. */
function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : files(rel);
    return [rel];
  });
}

const ALL = ['packages', 'services', 'test'].flatMap(files);

/** A reference as SECURITY.md writes it: a path, a path with `*`, or (after a full path in the same cell) a bare file name. */
function resolves(reference: string): boolean {
  const ref = reference.replace(/\s.*$/, '');
  if (!ref.includes('/')) return ALL.some((f) => f.endsWith(`/${ref}`));
  const pattern = new RegExp(`^${ref.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
  return ALL.some((f) => pattern.test(f));
}

/**
 * Issue 17 item 4: SECURITY.md's promises each name the tests that prove them, and every test it names
 * exists (a renamed or deleted test would leave a promise unproven while the page still claims it).
 */
describe('SECURITY.md names the tests that prove its promises', () => {
  const text = readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
  const section = text.slice(text.indexOf('## Promises and the tests that prove them'), text.indexOf('## Who may call what'));
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .slice(2)
    .map((l) => l.slice(2, -2).split(' | '));

  it('has a promise table whose every row names at least one test', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(row, row[0]).toHaveLength(3);
      expect(row[2], `the promise "${row[0]}"`).toMatch(/`[^`]*(\.test\.ts|test\/[^`]*)`/);
    }
  });

  it('names only tests that exist', () => {
    const references = [...text.matchAll(/`([^`\s]*\.test\.ts|test\/[^`\s]+)`/g)].map((m) => m[1]!);
    expect(references.length).toBeGreaterThan(30);
    expect(references.filter((r) => !resolves(r))).toEqual([]);
  });
});
