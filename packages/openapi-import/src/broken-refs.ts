import { isObject, type JsonObject } from './json.js';

/** The key a `$ref` that could not be followed is replaced with; what refers to it is refused with the reason. */
export const UNRESOLVED_REF = 'x-switchboard-unresolved-ref';

function unescape(token: string): string {
  return decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
}

/** What an internal `#/a/b` pointer names in the document, or undefined. */
function target(doc: JsonObject, ref: string): unknown {
  if (ref === '#') return doc;
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const token of ref.slice(2).split('/').map(unescape)) {
    if (Array.isArray(at)) at = /^\d+$/.test(token) ? at[Number(token)] : undefined;
    else if (isObject(at)) at = Object.hasOwn(at, token) ? at[token] : undefined;
    else return undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

function refOf(value: unknown): string | undefined {
  return isObject(value) && typeof value['$ref'] === 'string' ? value['$ref'] : undefined;
}

/**
 * A visit function that walks every object and array once (cycles included), replacing each child
 * for which `replace` answers a value; a replacement is not walked by this visit, only its parent.
 */
function replacingWalker(replace: (value: unknown) => unknown): (value: unknown) => void {
  const visited = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || visited.has(value)) return;
    visited.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        const replacement = replace(value[i]);
        if (replacement !== undefined) value[i] = replacement;
        else visit(value[i]);
      }
      return;
    }
    const obj = value as JsonObject;
    for (const key in obj) {
      if (!Object.hasOwn(obj, key)) continue;
      const replacement = replace(obj[key]);
      if (replacement !== undefined) obj[key] = replacement;
      else visit(obj[key]);
    }
  };
  return visit;
}

/**
 * Replaces, in place, every internal `$ref` with what it points to, and every `$ref` the import
 * cannot follow (a pointer to nothing in the document, or to another file, which is never fetched)
 * with `{ [UNRESOLVED_REF]: ref }`, so only the operations that use the broken part are refused.
 * The same target is shared by all that refer to it, so a recursive schema becomes a cycle of
 * objects, which the translation bounds by depth. Keywords beside a `$ref` (3.1) are kept over the
 * target's. One pass, nothing fetched or copied wholesale. Returns the distinct refs that broke.
 */
export function dereferenceInPlace(doc: JsonObject): string[] {
  const resolved = new Map<string, unknown>();
  const broken = new Set<string>();
  const follow = (ref: string): unknown => {
    const known = resolved.get(ref);
    if (known !== undefined) return known;
    let value = target(doc, ref);
    const chain = new Set([ref]);
    for (let next = refOf(value); next !== undefined && !chain.has(next); next = refOf(value)) {
      chain.add(next);
      value = target(doc, next);
    }
    if (value === undefined || refOf(value) !== undefined) {
      broken.add(ref);
      value = { [UNRESOLVED_REF]: ref };
    }
    resolved.set(ref, value);
    visit(value);
    return value;
  };
  const replaced = (value: unknown): unknown => {
    const ref = refOf(value);
    if (ref === undefined || !isObject(value)) return undefined;
    const found = follow(ref);
    if (Object.keys(value).length === 1 || !isObject(found)) return found;
    const siblings = Object.entries(value).filter(([k]) => k !== '$ref');
    return { ...found, ...Object.fromEntries(siblings) };
  };
  const visit = replacingWalker(replaced);
  visit(doc);
  return [...broken];
}

/** The ref a value stands in for, when it replaced one that could not be followed. */
export function unresolvedRef(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const ref = value[UNRESOLVED_REF];
  return typeof ref === 'string' ? ref : undefined;
}
