import { isObject, type JsonObject } from './json.js';

/** The key a `$ref` that could not be followed is replaced with; what refers to it is refused with the reason. */
export const UNRESOLVED_REF = 'x-switchboard-unresolved-ref';

function unescape(token: string): string {
  return decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Whether an internal `#/a/b` pointer names something in the document. */
function resolves(doc: JsonObject, ref: string): boolean {
  if (ref === '#') return true;
  if (!ref.startsWith('#/')) return false;
  let at: unknown = doc;
  for (const token of ref.slice(2).split('/').map(unescape)) {
    if (Array.isArray(at)) at = /^\d+$/.test(token) ? at[Number(token)] : undefined;
    else if (isObject(at)) at = Object.hasOwn(at, token) ? at[token] : undefined;
    else return false;
    if (at === undefined) return false;
  }
  return true;
}

/**
 * Replaces, in place, every `$ref` the import cannot follow (a pointer to nothing in the document, or
 * to another file, which is never fetched) with `{ [UNRESOLVED_REF]: ref }`, so the rest of the
 * document still dereferences and only the operations that use the broken part are refused.
 * Returns the distinct refs replaced.
 */
export function replaceBrokenRefs(doc: JsonObject): string[] {
  const broken = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const fixed = fix(item);
        if (fixed !== undefined) value[i] = fixed;
        else walk(item);
      });
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const fixed = fix(child);
      if (fixed !== undefined) value[key] = fixed;
      else walk(child);
    }
  };
  const fix = (value: unknown): JsonObject | undefined => {
    if (!isObject(value) || typeof value['$ref'] !== 'string') return undefined;
    const ref = value['$ref'];
    if (ref.startsWith('#') && resolves(doc, ref)) return undefined;
    broken.add(ref);
    return { [UNRESOLVED_REF]: ref };
  };
  walk(doc);
  return [...broken];
}

/** The ref a value stands in for, when it replaced one that could not be followed. */
export function unresolvedRef(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const ref = value[UNRESOLVED_REF];
  return typeof ref === 'string' ? ref : undefined;
}
