import { createHash } from 'node:crypto';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const sorted: Record<string, unknown> = {};
  // Code-unit order (the default sort) is locale-independent, so every replica agrees on it.
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return sorted;
}

/**
 * JSON with every object's keys sorted, recursively, so that `{a,b}` and `{b,a}` serialise alike:
 * a confirmation is bound to the argument values, not to the order the model happened to emit.
 * Otherwise it follows JSON.stringify (undefined members dropped, array order kept).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null';
}

/** SHA-256 of {@link canonicalJson}, base64url. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('base64url');
}
