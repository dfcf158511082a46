import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/stack.js';

interface Rule {
  readonly negated: boolean;
  readonly pattern: string;
  readonly regex: RegExp;
}

/** .dockerignore lines as Docker reads them: comments and blanks dropped, `!` exceptions, `**` for any depth. */
function rulesOf(text: string): Rule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = path.posix.normalize((negated ? l.slice(1) : l).replace(/^\/+/, ''));
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (pattern.startsWith('**/', i)) {
          re += '(?:.*/)?';
          i += 2;
        } else if (pattern.startsWith('**', i)) {
          re += '.*';
          i += 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negated, pattern, regex: new RegExp(`^${re}$`) };
    });
}

/** Docker's rule: the last pattern matching the path or one of its parent directories decides. */
function excluded(rules: readonly Rule[], rel: string): boolean {
  const parts = rel.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const r of rules) if (candidates.some((c) => r.regex.test(c))) out = !r.negated;
  return out;
}

/** Every file Docker would send as the build context, with its size. */
function context(rules: readonly Rule[]): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        // An excluded directory is still entered when an exception may re-include something inside.
        if (excluded(rules, child) && !rules.some((r) => r.negated && r.pattern.startsWith(`${child}/`))) continue;
        walk(child);
      } else if (!excluded(rules, child)) {
        files.set(child, lstatSync(path.join(ROOT, child)).size);
      }
    }
  };
  walk('');
  return files;
}

/** Issue 20 item 10: the image's build context holds what the Dockerfile copies and little else. */
describe('Docker build context', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  const rules = rulesOf(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
  const files = context(rules);

  it('is small: no node_modules, build output, git data or local state', () => {
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    expect([...files.keys()].filter((f) => /(^|\/)(node_modules|dist|\.data)\//.test(f))).toEqual([]);
    expect(total, `${(total / 1024 / 1024).toFixed(1)} MB in ${files.size} files`).toBeLessThan(10 * 1024 * 1024);
  });

  it('still holds every source the Dockerfile copies', () => {
    const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(?:--\S+\s+)*(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      const rel = src.replace(/\/$/, '');
      expect([...files.keys()].some((f) => f === rel || f.startsWith(`${rel}/`)), `${src} is in the context`).toBe(true);
    }
  });

  it('pins every base image by digest', () => {
    const images = [...dockerfile.matchAll(/^ARG NODE_IMAGE=(\S+)$/gm)].map((m) => m[1]!);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    for (const m of dockerfile.matchAll(/^FROM\s+(\S+)/gm)) expect(m[1], 'FROM uses the pinned image').toBe('${NODE_IMAGE}');
  });
});
