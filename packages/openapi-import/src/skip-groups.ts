import type { SkippedConstruct } from './types.js';

/** Skipped constructs that share a reason: one line for the integrator, however many operations. */
export interface SkipGroup {
  /** `operation` for whole operations; else the kind of construct (`query parameter`, `body field`...). */
  readonly what: string;
  readonly why: string;
  /** The operations it happened in, each once, in document order. */
  readonly operations: string[];
}

/**
 * Groups skipped constructs by kind and reason, largest group first: "146 operations: OAuth
 * authorizationCode is not supported…" instead of 146 lines. The ungrouped list stays in `skipped`.
 */
export function groupSkipped(skipped: readonly SkippedConstruct[]): SkipGroup[] {
  const groups = new Map<string, SkipGroup>();
  for (const s of skipped) {
    // `query parameter include` and `query parameter expand` left out for the same reason are one group.
    const what = s.what === 'operation' ? 'operation' : s.what.replace(/ \S+$/, '');
    const key = `${what}\u0000${s.why}`;
    const group = groups.get(key) ?? { what, why: s.why, operations: [] };
    if (!group.operations.includes(s.operation)) group.operations.push(s.operation);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.operations.length - a.operations.length);
}
