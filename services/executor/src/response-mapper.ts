import { isUtf8 } from 'node:buffer';
import { TreeInterpreter, compile, type JSONValue } from '@jmespath-community/jmespath';
import type { ResponseMapping } from '@switchboard/contracts';
import { compileTextTemplate, renderTextTemplate, SharedByText, type TextTemplate } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';

type Expression = ReturnType<typeof compile>;

export interface MappedResponse {
  /** The mapped fields (or the whole body), as sent to the model; equals `JSON.parse(resultJson)`. */
  readonly result: Record<string, unknown>;
  readonly resultJson: string;
  readonly truncated: boolean;
  readonly summary: string;
}

interface CompiledMapping {
  readonly fields: readonly { readonly name: string; readonly expression: Expression }[];
  readonly summary: TextTemplate | undefined;
}

/** A mapping that failed to compile keeps failing the same way, without recompiling on every call. */
type CompileOutcome = CompiledMapping | { readonly failure: string };

const compiledMappings = new WeakMap<ResponseMapping, CompileOutcome>();

/** Added to a truncated result so that the model knows it is not seeing everything. */
export const TRUNCATED_KEY = '_truncated';
const TRUNCATED_MEMBER = `"${TRUNCATED_KEY}":true`;
/** Ends a shortened string. */
const ELLIPSIS = '…';

function mappingFailed(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('MAPPING_FAILED', message, cause === undefined ? {} : { cause });
}

/** By the mapping's text: a definition decoded again, or another org's with the same mapping, compiles nothing (SharedByText). */
const sharedMappings = new SharedByText<CompileOutcome>(4_096);

function compileMapping(mapping: ResponseMapping): CompiledMapping {
  let outcome = compiledMappings.get(mapping);
  if (outcome === undefined) {
    outcome = sharedMappings.get(mappingText(mapping), () => tryCompile(mapping));
    compiledMappings.set(mapping, outcome);
  }
  if ('failure' in outcome) throw mappingFailed(outcome.failure);
  return outcome;
}

/** Everything tryCompile reads, as one string. */
function mappingText(mapping: ResponseMapping): string {
  const parts = [mapping.summaryTemplate];
  for (const field of mapping.fields) parts.push(field.name, field.expression);
  return JSON.stringify(parts);
}

function tryCompile(mapping: ResponseMapping): CompileOutcome {
  const fields: { name: string; expression: Expression }[] = [];
  for (const field of mapping.fields) {
    try {
      fields.push({ name: field.name, expression: compile(field.expression) });
    } catch (err) {
      return { failure: `the expression for field ${field.name} is not valid JMESPath (${errorText(err)})` };
    }
  }
  let summary: TextTemplate | undefined;
  if (mapping.summaryTemplate.length > 0) {
    try {
      summary = compileTextTemplate(mapping.summaryTemplate);
    } catch (err) {
      return { failure: `the summary template is not valid (${errorText(err)})` };
    }
  }
  return { fields, summary };
}

// Library messages name types and expression tokens, never data; the cap keeps a log line a line.
function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : 'unknown error';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

const RELEASE: Expression = compile('@');

/**
 * Maps a response body with the definition's expressions, renders the summary (with the mapped
 * fields and `args`, e.g. `{{ args.date }}`), and cuts the result down to `maxResultBytes` of JSON.
 * Without fields the whole body is the result; a body that is not an object becomes `{ value }`.
 *
 * A result over the limit stays a valid JSON object: trailing array items and trailing fields are
 * dropped, a long string is shortened and ends with "…", and `"_truncated": true` is added. A limit
 * too small even for that marker (under 19 bytes) gives `{}`.
 */
export function mapResponse(
  mapping: ResponseMapping | undefined,
  body: unknown,
  args: Readonly<Record<string, unknown>>,
  maxResultBytes: number,
): MappedResponse {
  try {
    return mapUnchecked(mapping, body, args, maxResultBytes);
  } catch (err) {
    if (err instanceof SwitchboardError) throw err;
    // A hostile body (e.g. nested a million levels deep) can exhaust the stack of any recursive step.
    throw mappingFailed('the response could not be mapped (it may be nested too deeply)', err);
  }
}

function mapUnchecked(
  mapping: ResponseMapping | undefined,
  body: unknown,
  args: Readonly<Record<string, unknown>>,
  maxResultBytes: number,
): MappedResponse {
  const compiled = mapping === undefined ? undefined : compileMapping(mapping);
  let result: Record<string, unknown>;
  if (compiled === undefined || compiled.fields.length === 0) {
    result = isPlainObject(body) ? body : { value: body === undefined ? null : body };
  } else {
    result = {};
    const data = (body === undefined ? null : body) as JSONValue;
    let current = '';
    try {
      for (const field of compiled.fields) {
        current = field.name;
        setOwn(result, field.name, TreeInterpreter.search(field.expression, data) ?? null);
      }
    } catch (err) {
      throw mappingFailed(`the expression for field ${current} failed on this response (${errorText(err)})`, err);
    } finally {
      // The interpreter is a module singleton that keeps its last input: let the response go.
      TreeInterpreter.search(RELEASE, null);
    }
  }
  const summary = compiled?.summary === undefined ? '' : renderTextTemplate(compiled.summary, { ...result, args });

  const json = JSON.stringify(result);
  const limit = Math.max(0, Math.floor(maxResultBytes));
  if (json.length * 3 <= limit || byteLength(json) <= limit) {
    return { result, resultJson: json, truncated: false, summary };
  }
  const cut = truncateObject(result, limit);
  return { result: JSON.parse(cut) as Record<string, unknown>, resultJson: cut, truncated: true, summary };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateObject(result: Record<string, unknown>, limit: number): string {
  const reserved = 2 + 1 + TRUNCATED_MEMBER.length;
  if (limit < reserved - 1) return '{}';
  const inner = fitMembers(result, limit - reserved);
  return inner.length === 0 ? `{${TRUNCATED_MEMBER}}` : `{${inner},${TRUNCATED_MEMBER}}`;
}

/** The JSON of `value` in at most `budget` bytes, shortened if need be, or undefined if nothing fits. */
function fit(value: unknown, budget: number): string | undefined {
  if (budget <= 0) return undefined;
  const whole = JSON.stringify(value) ?? 'null';
  if (byteLength(whole) <= budget) return whole;
  if (typeof value === 'string') return fitString(value, budget);
  if (Array.isArray(value)) return fitArray(value as unknown[], budget);
  if (isPlainObject(value) && budget >= 2) return `{${fitMembers(value, budget - 2)}}`;
  return undefined;
}

function fitString(value: string, budget: number): string | undefined {
  const shortest = JSON.stringify(ELLIPSIS);
  if (byteLength(shortest) > budget) return undefined;
  let low = 0;
  let high = value.length;
  let best = shortest;
  // The encoded length only grows with the prefix, so the longest prefix that fits can be bisected.
  while (low < high) {
    let mid = Math.ceil((low + high) / 2);
    // Never cut between the two halves of a surrogate pair.
    const code = value.charCodeAt(mid - 1);
    if (code >= 0xd800 && code <= 0xdbff) mid += mid + 1 <= high ? 1 : -1;
    if (mid <= low) break;
    const candidate = JSON.stringify(value.slice(0, mid) + ELLIPSIS);
    if (byteLength(candidate) <= budget) {
      best = candidate;
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return best;
}

function fitArray(items: readonly unknown[], budget: number): string | undefined {
  if (budget < 2) return undefined;
  let out = '';
  let used = 2;
  for (let i = 0; i < items.length; i += 1) {
    const separator = i === 0 ? 0 : 1;
    const room = budget - used - separator;
    const whole = JSON.stringify(items[i]) ?? 'null';
    const size = byteLength(whole);
    if (size <= room) {
      out += (separator === 1 ? ',' : '') + whole;
      used += separator + size;
      continue;
    }
    // Only a first item is shortened: a later, partial item would read as a complete one.
    if (i === 0) {
      const part = fit(items[i], room);
      if (part !== undefined) out += part;
    }
    break;
  }
  return `[${out}]`;
}

/** Object members (without braces) in at most `budget` bytes: later fields go first. */
function fitMembers(value: Readonly<Record<string, unknown>>, budget: number): string {
  let out = '';
  let used = 0;
  for (const key of Object.keys(value)) {
    if (key === TRUNCATED_KEY) continue;
    const member = value[key];
    const whole = JSON.stringify(member);
    if (whole === undefined) continue;
    const separator = out.length === 0 ? 0 : 1;
    const prefix = `${JSON.stringify(key)}:`;
    const room = budget - used - separator - byteLength(prefix);
    if (room <= 0) break;
    const size = byteLength(whole);
    if (size <= room) {
      out += (separator === 1 ? ',' : '') + prefix + whole;
      used += separator + byteLength(prefix) + size;
      continue;
    }
    const part = fit(member, room);
    if (part !== undefined) out += (separator === 1 ? ',' : '') + prefix + part;
    break;
  }
  return out;
}

const TEXT_APPLICATION_TYPES: ReadonlySet<string> = new Set([
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/javascript',
  'application/yaml',
  'application/x-yaml',
]);

/**
 * Reads a response body for mapping: JSON for JSON media types (including `+json`) or an unlabelled
 * body that looks like JSON, `{ text }` for text, null for an empty body. Binary types and JSON that
 * does not parse fail with MAPPING_FAILED, described by size and shape, never quoted.
 */
export function parseResponseBody(contentType: string | undefined, raw: Buffer): unknown {
  const [mediaPart = '', ...params] = (contentType ?? '').split(';');
  const mediaType = mediaPart.trim().toLowerCase();
  if (mediaType === '') return parseUnlabelled(raw);
  if (mediaType === 'application/json' || mediaType === 'text/json' || mediaType.endsWith('+json')) {
    if (isBlank(raw)) return null;
    try {
      return JSON.parse(utf8(raw)) as unknown;
    } catch {
      throw mappingFailed(`the response is labelled ${shortType(mediaType)} but its body is not valid JSON (${describeBody(raw)})`);
    }
  }
  if (mediaType.startsWith('text/') || mediaType.endsWith('+xml') || TEXT_APPLICATION_TYPES.has(mediaType)) {
    return { text: decodeText(raw, charsetOf(params)) };
  }
  throw mappingFailed(`the response is ${shortType(mediaType)}, which is neither JSON nor text and cannot be mapped`);
}

function parseUnlabelled(raw: Buffer): unknown {
  if (isBlank(raw)) return null;
  const first = firstNonSpace(raw);
  if (first === 0x7b || first === 0x5b) {
    try {
      return JSON.parse(utf8(raw)) as unknown;
    } catch {
      // Not JSON after all: it may still be readable text.
    }
  }
  if (isUtf8(raw) && !raw.includes(0)) return { text: utf8(raw) };
  throw mappingFailed(`the response has no content type and is not JSON or text (${raw.length} bytes)`);
}

function utf8(raw: Buffer): string {
  // A UTF-8 byte order mark is allowed before JSON text but JSON.parse refuses it.
  return raw.toString('utf8', hasBom(raw) ? 3 : 0);
}

function hasBom(raw: Buffer): boolean {
  return raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
}

function decodeText(raw: Buffer, charset: string | undefined): string {
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return utf8(raw);
  try {
    return new TextDecoder(charset).decode(raw);
  } catch {
    // An unknown charset label: UTF-8 is the best guess and never throws.
    return utf8(raw);
  }
}

function charsetOf(params: readonly string[]): string | undefined {
  for (const param of params) {
    const [name = '', value = ''] = param.split('=', 2);
    if (name.trim().toLowerCase() === 'charset') return value.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return undefined;
}

function isBlank(raw: Buffer): boolean {
  return firstNonSpace(raw) === undefined;
}

function firstNonSpace(raw: Buffer): number | undefined {
  for (let i = hasBom(raw) ? 3 : 0; i < raw.length; i += 1) {
    const byte = raw[i] as number;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  }
  return undefined;
}

function describeBody(raw: Buffer): string {
  const first = firstNonSpace(raw);
  const hint = first === 0x3c ? ', and it looks like HTML or XML' : '';
  return `${raw.length} bytes${hint}`;
}

// The media type is the upstream's text: keep it short and printable in our messages.
function shortType(mediaType: string): string {
  return /^[\w.+\-/]{1,100}$/.test(mediaType) ? mediaType : 'an unusual content type';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
