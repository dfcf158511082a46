import { SwitchboardError } from '@switchboard/errors';
import { isPlainObject } from './parameter-value.js';

/** Larger argument objects are refused before parsing: a model never needs more for one API call. */
export const MAX_ARGUMENTS_BYTES = 64 * 1024;

/**
 * How deeply arguments may nest (the arguments object is level 1). Tool arguments are flat or nearly
 * so; 64 KB of `[[[[…` would be 32,000 levels, and every later step that walks a value recursively
 * (JSON.stringify for the body and the audit event, structuredClone, deep equality) would overflow the
 * stack on it and answer INTERNAL instead of INVALID_ARGUMENTS.
 */
export const MAX_ARGUMENTS_DEPTH = 32;

/** Whether a JSON value nests deeper than `limit` levels; iterative, so any depth can be measured. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

export const TOO_DEEP_MESSAGE = `arguments are nested more than ${MAX_ARGUMENTS_DEPTH} levels deep`;

function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Parses the model's arguments (a JSON object) with every limit checked before anything else walks
 * them. Messages describe the shape only: the text may hold caller data.
 */
export function parseArgumentsJson(json: string): unknown {
  // UTF-8 needs at least one byte per UTF-16 unit, so the cheap length test settles most cases.
  if (json.length > MAX_ARGUMENTS_BYTES || (json.length * 3 > MAX_ARGUMENTS_BYTES && Buffer.byteLength(json) > MAX_ARGUMENTS_BYTES)) {
    throw new SwitchboardError('INVALID_ARGUMENTS', `arguments are larger than the limit of ${MAX_ARGUMENTS_BYTES} bytes`);
  }
  if (json.trim().length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // The SyntaxError is dropped on purpose: V8 quotes the offending text in its message.
    throw new SwitchboardError('INVALID_ARGUMENTS', 'arguments are not valid JSON');
  }
  if (!isPlainObject(parsed)) {
    throw new SwitchboardError('INVALID_ARGUMENTS', `arguments must be a JSON object, not ${shapeOf(parsed)}`);
  }
  if (nestsDeeperThan(parsed, MAX_ARGUMENTS_DEPTH)) {
    throw new SwitchboardError('INVALID_ARGUMENTS', TOO_DEEP_MESSAGE);
  }
  return parsed;
}
