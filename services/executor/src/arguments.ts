import {
  ContextField,
  ParameterLocation,
  ParameterType,
  StringFormat,
  type Integration,
  type Parameter,
} from '@switchboard/contracts';
import { SwitchboardError, type FieldProblem } from '@switchboard/errors';

/** Larger argument objects are refused before parsing: a model never needs more for one API call. */
export const MAX_ARGUMENTS_BYTES = 64 * 1024;

/** One value on its way to the wire: where it goes, under which name, and whether to hide it in logs. */
export interface PlacedValue {
  readonly location: ParameterLocation;
  readonly wireName: string;
  /** The name errors are reported under: the argument the model sent, or the wire name of a system value. */
  readonly field: string;
  readonly value: unknown;
  readonly sensitive: boolean;
}

/** What the executor knows about the call; the source of context values. */
export interface CallContextValues {
  readonly callId?: string;
  readonly callerNumber?: string;
  readonly calledNumber?: string;
  readonly orgId: string;
  readonly orgTimeZone?: string;
}

export type ArgumentCheck =
  | { readonly ok: true; readonly values: Record<string, unknown> }
  | { readonly ok: false; readonly problems: FieldProblem[] };

const RETRY_SENTENCE = 'Sorry, I need to check those details again.';

/** Parses the model's arguments. Messages describe the shape only: the text may hold caller data. */
export function parseArgumentsJson(json: string): unknown {
  // UTF-8 needs at least one byte per UTF-16 unit, so the cheap length test settles most cases.
  if (json.length > MAX_ARGUMENTS_BYTES || (json.length * 3 > MAX_ARGUMENTS_BYTES && Buffer.byteLength(json) > MAX_ARGUMENTS_BYTES)) {
    throw new SwitchboardError('INVALID_ARGUMENTS', `arguments are larger than the limit of ${MAX_ARGUMENTS_BYTES} bytes`, {
      agentMessage: RETRY_SENTENCE,
    });
  }
  if (json.trim().length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // The SyntaxError is dropped on purpose: V8 quotes the offending text in its message.
    throw new SwitchboardError('INVALID_ARGUMENTS', 'arguments are not valid JSON', { agentMessage: RETRY_SENTENCE });
  }
  if (!isPlainObject(parsed)) {
    throw new SwitchboardError('INVALID_ARGUMENTS', `arguments must be a JSON object, not ${shapeOf(parsed)}`, {
      agentMessage: RETRY_SENTENCE,
    });
  }
  return parsed;
}

interface CompiledParameter {
  readonly name: string;
  readonly wireName: string;
  readonly param: Parameter;
  readonly pattern: RegExp | undefined;
  readonly patternInvalid: boolean;
}

interface CompiledArguments {
  readonly parameters: readonly CompiledParameter[];
  readonly byName: ReadonlyMap<string, CompiledParameter>;
  readonly systemNames: ReadonlySet<string>;
  readonly expected: string;
}

// Definitions are immutable once loaded, so the compiled form lives exactly as long as the object.
const compiledArguments = new WeakMap<Integration, CompiledArguments>();

function compilePattern(source: string): { pattern: RegExp | undefined; invalid: boolean } {
  if (source.length === 0) return { pattern: undefined, invalid: false };
  // JSON Schema patterns are ECMA-262 with unicode semantics; older definitions may rely on the legacy mode.
  for (const flags of ['u', '']) {
    try {
      return { pattern: new RegExp(source, flags), invalid: false };
    } catch {
      // try the next mode
    }
  }
  return { pattern: undefined, invalid: true };
}

function compileArguments(integration: Integration): CompiledArguments {
  let compiled = compiledArguments.get(integration);
  if (compiled !== undefined) return compiled;
  const parameters = integration.parameters.map((param): CompiledParameter => {
    const { pattern, invalid } = compilePattern(param.pattern);
    return { name: param.name, wireName: param.wireName || param.name, param, pattern, patternInvalid: invalid };
  });
  const systemNames = new Set<string>();
  for (const fixed of integration.fixedValues) systemNames.add(fixed.name);
  for (const context of integration.contextValues) systemNames.add(context.name);
  compiled = {
    parameters,
    byName: new Map(parameters.map((p) => [p.name, p])),
    systemNames,
    expected: parameters.map((p) => p.name).join(', '),
  };
  compiledArguments.set(integration, compiled);
  return compiled;
}

// Beyond this many, further unknown names are counted, not listed: the model needs the gist, not a dump.
const MAX_LISTED_UNKNOWN = 10;

/**
 * Checks the model's arguments against the parameter schema and applies defaults. Every problem is
 * reported (one per field) with a sentence the model can act on; none quotes a value.
 */
export function validateArguments(integration: Integration, args: unknown): ArgumentCheck {
  const compiled = compileArguments(integration);
  if (!isPlainObject(args)) {
    return { ok: false, problems: [{ field: 'arguments', message: `arguments must be an object, not ${shapeOf(args)}` }] };
  }
  const problems: FieldProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const cp of compiled.parameters) {
    const value = Object.hasOwn(args, cp.name) ? args[cp.name] : undefined;
    // Models often send null for "not given"; treating it as absent lets defaults and `required` apply.
    if (value === undefined || value === null) {
      if (cp.param.required) problems.push({ field: cp.name, message: `${cp.name} is required` });
      else if (cp.param.defaultValue !== undefined && cp.param.defaultValue !== null) {
        setOwn(values, cp.name, copyDefault(cp.param.defaultValue));
      }
      continue;
    }
    const problem = checkValue(cp, value);
    if (problem === undefined) setOwn(values, cp.name, value);
    else problems.push({ field: cp.name, message: `${cp.name} ${problem}` });
  }
  let unknown = 0;
  for (const key of Object.keys(args)) {
    if (compiled.byName.has(key)) continue;
    unknown += 1;
    if (unknown > MAX_LISTED_UNKNOWN) continue;
    const name = displayName(key);
    if (compiled.systemNames.has(key)) {
      problems.push({ field: name, message: `${name} is set by the system and cannot be supplied` });
    } else {
      const expected = compiled.expected.length > 0 ? `expected one of: ${compiled.expected}` : 'this tool takes no arguments';
      problems.push({ field: name, message: `unknown argument ${name}; ${expected}` });
    }
  }
  if (unknown > MAX_LISTED_UNKNOWN) {
    problems.push({ field: 'arguments', message: `${unknown - MAX_LISTED_UNKNOWN} more unknown arguments were left out` });
  }
  return problems.length === 0 ? { ok: true, values } : { ok: false, problems };
}

/**
 * Turns validated values, fixed values and context values into placed values. System values come
 * last and replace a parameter with the same location and wire name: the trusted value always wins.
 * A context value the call does not know (no call id yet, withheld caller number) is left out.
 */
export function resolvePlacedValues(
  integration: Integration,
  values: Readonly<Record<string, unknown>>,
  context: CallContextValues,
): PlacedValue[] {
  const compiled = compileArguments(integration);
  const placed: PlacedValue[] = [];
  for (const cp of compiled.parameters) {
    if (!Object.hasOwn(values, cp.name)) continue;
    const value = values[cp.name];
    if (value === undefined) continue;
    placed.push({ location: cp.param.location, wireName: cp.wireName, field: cp.name, value, sensitive: cp.param.sensitive });
  }
  for (const fixed of integration.fixedValues) {
    if (fixed.value === undefined) continue;
    placeSystemValue(placed, { location: fixed.location, wireName: fixed.name, field: fixed.name, value: fixed.value as unknown, sensitive: false });
  }
  for (const cv of integration.contextValues) {
    const value = contextValue(cv.source, context);
    if (value === undefined || value === '') continue;
    // The caller's number is personal data: keep it out of logs and audit like a sensitive argument.
    const sensitive = cv.source === ContextField.CONTEXT_FIELD_CALLER_NUMBER;
    placeSystemValue(placed, { location: cv.location, wireName: cv.name, field: cv.name, value, sensitive });
  }
  return placed;
}

function placeSystemValue(placed: PlacedValue[], value: PlacedValue): void {
  for (let i = placed.length - 1; i >= 0; i -= 1) {
    const other = placed[i] as PlacedValue;
    if (other.location === value.location && other.wireName === value.wireName) placed.splice(i, 1);
  }
  placed.push(value);
}

function contextValue(source: ContextField, context: CallContextValues): string | undefined {
  switch (source) {
    case ContextField.CONTEXT_FIELD_CALL_ID:
      return context.callId;
    case ContextField.CONTEXT_FIELD_CALLER_NUMBER:
      return context.callerNumber;
    case ContextField.CONTEXT_FIELD_CALLED_NUMBER:
      return context.calledNumber;
    case ContextField.CONTEXT_FIELD_ORG_ID:
      return context.orgId;
    case ContextField.CONTEXT_FIELD_ORG_TIME_ZONE:
      return context.orgTimeZone;
    default:
      return undefined;
  }
}

/** Returns what is wrong with the value as the rest of a sentence that starts with its name, or undefined. */
function checkValue(cp: CompiledParameter, value: unknown): string | undefined {
  const param = cp.param;
  switch (param.type) {
    case ParameterType.PARAMETER_TYPE_NUMBER:
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      return checkEnum(param, value) ?? checkRange(param, value);
    case ParameterType.PARAMETER_TYPE_INTEGER:
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'must be a whole number';
      return checkEnum(param, value) ?? checkRange(param, value);
    case ParameterType.PARAMETER_TYPE_BOOLEAN:
      return typeof value === 'boolean' ? checkEnum(param, value) : 'must be true or false';
    case ParameterType.PARAMETER_TYPE_ARRAY:
      if (!Array.isArray(value)) return 'must be a list';
      return checkEnum(param, value) ?? checkCount(param, value.length);
    case ParameterType.PARAMETER_TYPE_OBJECT:
      return isPlainObject(value) ? checkEnum(param, value) : 'must be an object';
    default:
      // Unspecified (and unrecognised) types are strings: that is what a tool parameter is unless told otherwise.
      if (typeof value !== 'string') return 'must be a string';
      return (
        checkEnum(param, value) ??
        checkFormat(param.format, value) ??
        checkLength(param, value) ??
        checkPattern(cp, value)
      );
  }
}

function checkEnum(param: Parameter, value: unknown): string | undefined {
  const allowed = param.enumValues;
  if (allowed === undefined || allowed.length === 0) return undefined;
  for (const candidate of allowed as unknown[]) if (sameValue(candidate, value)) return undefined;
  const listed = (allowed as unknown[]).slice(0, 20).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return `must be one of: ${listed.join(', ')}${allowed.length > 20 ? ', …' : ''}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkRange(param: Parameter, value: number): string | undefined {
  if (param.minimum !== undefined && value < param.minimum) return `must be at least ${param.minimum}`;
  if (param.maximum !== undefined && value > param.maximum) return `must be at most ${param.maximum}`;
  return undefined;
}

function checkCount(param: Parameter, count: number): string | undefined {
  if (param.minLength !== undefined && count < param.minLength) return `must have at least ${param.minLength} items`;
  if (param.maxLength !== undefined && count > param.maxLength) return `must have at most ${param.maxLength} items`;
  return undefined;
}

function checkLength(param: Parameter, value: string): string | undefined {
  if (param.minLength === undefined && param.maxLength === undefined) return undefined;
  // JSON Schema counts characters (code points), not UTF-16 units.
  let length = 0;
  for (const _ of value) length += 1;
  if (param.minLength !== undefined && length < param.minLength) return `must be at least ${param.minLength} characters long`;
  if (param.maxLength !== undefined && length > param.maxLength) return `must be at most ${param.maxLength} characters long`;
  return undefined;
}

function checkPattern(cp: CompiledParameter, value: string): string | undefined {
  if (cp.patternInvalid) return "cannot be checked because the integration's pattern is not a valid regular expression";
  if (cp.pattern === undefined || cp.pattern.test(value)) return undefined;
  return `must match the pattern ${cp.param.pattern}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const EMAIL = /^(?!\.)[^\s@\p{Cc}]{1,64}(?<!\.)@[^\s@.\p{Cc}]+(\.[^\s@.\p{Cc}]+)+$/u;
const PHONE_E164 = /^\+[1-9]\d{1,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DATE_MESSAGE = 'must be a date in the form YYYY-MM-DD';
const DATE_TIME_MESSAGE = 'must be a date and time in the form YYYY-MM-DDTHH:MM:SS with a time zone, such as 2025-03-14T09:30:00Z';

function checkFormat(format: StringFormat, value: string): string | undefined {
  switch (format) {
    case StringFormat.STRING_FORMAT_DATE: {
      const m = DATE.exec(value);
      if (m === null) return DATE_MESSAGE;
      return isCalendarDate(m[1], m[2], m[3]) ? undefined : 'must be a real calendar date in the form YYYY-MM-DD';
    }
    case StringFormat.STRING_FORMAT_DATE_TIME: {
      const m = DATE_TIME.exec(value);
      return m !== null && isCalendarDate(m[1], m[2], m[3]) ? undefined : DATE_TIME_MESSAGE;
    }
    case StringFormat.STRING_FORMAT_TIME:
      return TIME.test(value) ? undefined : 'must be a time in the form HH:MM or HH:MM:SS (24-hour clock)';
    case StringFormat.STRING_FORMAT_EMAIL:
      return value.length <= 254 && EMAIL.test(value) ? undefined : 'must be an email address such as name@example.com';
    case StringFormat.STRING_FORMAT_PHONE_E164:
      return PHONE_E164.test(value) ? undefined : 'must be a phone number in international E.164 form, such as +14155550123';
    case StringFormat.STRING_FORMAT_UUID:
      return UUID.test(value) ? undefined : 'must be a UUID such as 123e4567-e89b-12d3-a456-426614174000';
    default:
      return undefined;
  }
}

function isCalendarDate(year: string | undefined, month: string | undefined, day: string | undefined): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
  return d <= days;
}

function copyDefault(value: unknown): unknown {
  // A default object must not be shared between calls: a later step could change it.
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? type : `a ${type}`;
}

/** Argument names come from the model: show them short and quoted if they hold anything unusual. */
function displayName(key: string): string {
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(key)) return key;
  return `${JSON.stringify(key.slice(0, 64))}${key.length > 64 ? '…' : ''}`;
}

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
