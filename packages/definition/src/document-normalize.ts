import type { FieldKind, FieldSpec, MessageSpec } from './document-schema.js';
import { enumValueOf } from './enum-names.js';
import { isPlainObject } from './parameter-value.js';

export type PathSegment = string | number;

/** A problem found while reading a document, at the path of keys as the integrator wrote them. */
export interface DocumentProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

const MAX_UINT32 = 4_294_967_295;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string, spec: MessageSpec): string {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of spec) {
    for (const name of [f.snake, f.camel.toLowerCase(), ...f.aliases]) {
      const d = editDistance(lower, name);
      if (d < bestDistance) {
        bestDistance = d;
        best = f.snake;
      }
    }
  }
  return best === undefined ? '' : `; did you mean ${best}?`;
}

/** Only values JSON can carry: YAML's .inf and .nan have no place in a proto Value. */
function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (isPlainObject(value)) return Object.values(value).every(isJson);
  return false;
}

class Normaliser {
  readonly problems: DocumentProblem[] = [];

  private problem(path: readonly PathSegment[], message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  /** The value in the shape Integration.fromJSON reads, or undefined after reporting why it cannot be. */
  value(kind: FieldKind, raw: unknown, path: readonly PathSegment[]): unknown {
    switch (kind.kind) {
      case 'string':
        return typeof raw === 'string' ? raw : this.problem(path, 'must be text; put the value in quotes');
      case 'bool':
        return typeof raw === 'boolean' ? raw : this.problem(path, 'must be true or false');
      case 'uint':
        return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= MAX_UINT32
          ? raw
          : this.problem(path, 'must be a whole number of 0 or more');
      case 'double':
        return typeof raw === 'number' && Number.isFinite(raw) ? raw : this.problem(path, 'must be a number');
      case 'enum': {
        const value = typeof raw === 'string' ? enumValueOf(kind.names, raw) : undefined;
        if (value !== undefined) return value;
        return this.problem(path, `unknown ${kind.names.label} ${JSON.stringify(raw)}: use ${kind.names.choices}`);
      }
      case 'message':
        return this.message(kind.fields, raw, path);
      case 'repeated': {
        if (!Array.isArray(raw)) return this.problem(path, 'must be a list');
        const items: unknown[] = [];
        raw.forEach((item, i) => {
          const value = this.value(kind.of, item, [...path, i]);
          if (value !== undefined) items.push(value);
        });
        return items;
      }
      case 'json':
        return isJson(raw) ? raw : this.problem(path, 'must be a JSON value (no .inf or .nan)');
      case 'list':
        return Array.isArray(raw) && isJson(raw) ? raw : this.problem(path, 'must be a list of JSON values');
      case 'struct':
        return isPlainObject(raw) && isJson(raw) ? raw : this.problem(path, 'must be a mapping of names to JSON values');
      case 'string_map': {
        if (!isPlainObject(raw)) return this.problem(path, 'must be a mapping of names to text');
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== 'string') this.problem([...path, k], 'must be text; put the value in quotes');
        }
        return raw;
      }
    }
  }

  message(spec: MessageSpec, raw: unknown, path: readonly PathSegment[]): Record<string, unknown> | undefined {
    if (!isPlainObject(raw)) return this.problem(path, 'must be a mapping of field names to values');
    const out: Record<string, unknown> = {};
    const seen = new Map<FieldSpec, string>();
    for (const [key, value] of Object.entries(raw)) {
      const f = spec.find((s) => s.snake === key || s.camel === key || s.aliases.includes(key));
      if (f === undefined) {
        this.problem([...path, key], `unknown field${suggestion(key, spec)}`);
        continue;
      }
      const earlier = seen.get(f);
      if (earlier !== undefined) {
        this.problem([...path, key], `is the same field as ${earlier}; give it once`);
        continue;
      }
      seen.set(f, key);
      // An empty YAML value (`description:`) means "not set", as an absent key does.
      if (value === null || value === undefined) continue;
      const normalised = this.value(f.type, value, [...path, key]);
      if (normalised !== undefined) out[f.camel] = normalised;
    }
    for (const f of spec) if (f.defaultTrue && !seen.has(f)) out[f.camel] = true;
    return out;
  }
}

/** Checks a document's mapping against the spec and renames everything to proto JSON names. */
export function normaliseMessage(
  spec: MessageSpec,
  raw: unknown,
  path: readonly PathSegment[],
): { value: Record<string, unknown> | undefined; problems: DocumentProblem[] } {
  const n = new Normaliser();
  const value = n.message(spec, raw, path);
  return { value, problems: n.problems };
}
