import type { Integration, Parameter } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { MAX_ARGUMENTS_DEPTH, nestsDeeperThan, TOO_DEEP_MESSAGE } from './arguments-json.js';
import { describeSchemaError, displayName, SAFE_INTEGER_KEYWORD, schemaErrorRank, schemaErrorSubject } from './argument-messages.js';
import { isModelParameter } from './call-state.js';
import { isPlainObject } from './parameter-value.js';
import { patternProblem, safeRegExpEngine } from './safe-pattern.js';
import { isDate, isDateTime, isEmail, isUuid } from './string-format.js';
import { SharedByText } from './shared-by-text.js';
import { parameterJsonSchema } from './tool-schema.js';

/**
 * The one argument checker. The registry runs it on a definition's default values and sample
 * arguments when the definition is saved; the executor runs it on the model's arguments on every
 * call (and on the sample arguments in Test). Each parameter's value is validated by ajv against the
 * very JSON Schema the model is shown for it (tool-schema.ts), with the formats of string-format.ts
 * and patterns on RE2 (safe-pattern.ts); the object level (required, unknown names, null as "not
 * given", defaults) is checked here, with sentences the model can act on. No message quotes a value.
 */

export type ArgumentCheck =
  /** `overridden`: parameters filled from the call state for which the model sent a value anyway (dropped). */
  | { readonly ok: true; readonly values: Record<string, unknown>; readonly overridden?: readonly string[] }
  | { readonly ok: false; readonly problems: FieldProblem[] };

/** A problem with one value: `path` is where inside it (empty for the value itself), e.g. `.city` or `[2]`. */
interface ValueProblem {
  readonly path: string;
  readonly message: string;
}

type ValueCheck = (value: unknown) => ValueProblem[];

/**
 * JSON Schema's `integer` is any whole number, but a JSON number beyond 2^53 reaches the executor
 * already rounded (RFC 8259 section 6: only that range is exact everywhere), so the request would
 * carry a number the model never wrote: such integers are refused, at save time as at call time.
 */
function withSafeIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withSafeIntegers);
  if (!isPlainObject(schema)) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Values of these keywords are data, not schemas.
    copy[key] = key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : withSafeIntegers(value);
  }
  const type = schema['type'];
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) copy[SAFE_INTEGER_KEYWORD] = true;
  return copy;
}

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    // Definitions are validated by validate-parameters.ts; ajv need not re-check the schema's own shape.
    strict: false,
    meta: false,
    validateSchema: false,
    logger: false,
    unicodeRegExp: true,
    // ajv's optimiser triples compile time (about 9 ms instead of 3 for six parameters, paid on the
    // first call after a definition changes) and saves next to nothing on schemas this small.
    code: { regExp: safeRegExpEngine, optimize: false },
  });
  ajv.addFormat('date', { type: 'string', validate: isDate });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  ajv.addFormat('email', { type: 'string', validate: isEmail });
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
  ajv.addKeyword({ keyword: SAFE_INTEGER_KEYWORD, type: 'number', schemaType: 'boolean', validate: (_: boolean, data: number) => Number.isSafeInteger(data) });
  return ajv;
}

/**
 * Ajv keeps every schema it compiled (and every pattern) for its own lifetime, so one instance is used
 * for a bounded number of compiles and then replaced: memory stays bounded in a long-running executor
 * whose definitions keep changing, while creating an instance (about a millisecond) is rarely paid.
 * A compiled check keeps what it needs alive on its own.
 */
const COMPILES_PER_AJV = 256;
let current: { readonly ajv: Ajv2020; compiles: number } | undefined;

function sharedAjv(): Ajv2020 {
  if (current === undefined || current.compiles >= COMPILES_PER_AJV) current = { ajv: newAjv(), compiles: 0 };
  current.compiles += 1;
  return current.ajv;
}

/** Ajv's errors as one problem per place in the value, the most telling first (a wrong type before a failed pattern). */
function problemsOf(errors: readonly ErrorObject[]): ValueProblem[] {
  const best = new Map<string, ErrorObject>();
  for (const error of errors) {
    const subject = schemaErrorSubject(error);
    const held = best.get(subject);
    if (held === undefined || schemaErrorRank(error) < schemaErrorRank(held)) best.set(subject, error);
  }
  return [...best].map(([path, error]) => ({ path, message: describeSchemaError(error) }));
}

/**
 * Compiled checks by the schema's text: integrations of different orgs mostly share their parameters'
 * schemas (a string, a date, an enum of a few values), and an executor whose working set lets a
 * definition go compiles it again on its next call; ajv's compile (about 0.5 ms a parameter) is then
 * paid once per distinct schema, not once per definition object. Bounded, least recently used out.
 */
const MAX_SHARED_CHECKS = 4_096;
const checksBySchema = new Map<string, ValueCheck>();

function compileValueCheck(parameter: Parameter): ValueCheck {
  const schema = withSafeIntegers(parameterJsonSchema(parameter)) as Record<string, unknown>;
  const key = JSON.stringify(schema);
  let check = checksBySchema.get(key);
  if (check !== undefined) {
    checksBySchema.delete(key);
  } else {
    check = compileSchemaCheck(parameter, schema);
    if (checksBySchema.size >= MAX_SHARED_CHECKS) checksBySchema.delete(checksBySchema.keys().next().value as string);
  }
  checksBySchema.set(key, check);
  return check;
}

function compileSchemaCheck(parameter: Parameter, schema: Record<string, unknown>): ValueCheck {
  let validate: ValidateFunction;
  try {
    validate = sharedAjv().compile(schema);
  } catch {
    // Saved before patterns ran on RE2 (validation refuses such patterns now): refuse, never skip the check.
    const why = parameter.pattern !== '' && patternProblem(parameter.pattern) !== undefined ? "the integration's pattern is not a valid regular expression" : "the integration's schema for it is not valid";
    const refused = [{ path: '', message: `cannot be checked because ${why}` }];
    return () => refused;
  }
  return (value) => (validate(value) ? [] : problemsOf(validate.errors ?? []));
}

// Definitions are immutable once loaded, so a compiled check lives exactly as long as its object.
const valueChecks = new WeakMap<Parameter, ValueCheck>();

/**
 * A definition decoded again (after the executor's working set let it go) has new Parameter objects:
 * their text finds the check without rebuilding the schema (about half the cost of a shared check).
 */
const checksByParameter = new SharedByText<ValueCheck>(MAX_SHARED_CHECKS);

function valueCheckOf(parameter: Parameter): ValueCheck {
  let check = valueChecks.get(parameter);
  if (check === undefined) {
    check = checksByParameter.get(JSON.stringify(parameter), () => compileValueCheck(parameter));
    valueChecks.set(parameter, check);
  }
  return check;
}

/**
 * What is wrong with one value for a parameter, as the rest of a sentence (`must be at least 1`),
 * or undefined when it is fine. Used for default values and imported examples.
 */
export function checkParameterValue(parameter: Parameter, value: unknown): string | undefined {
  const first = valueCheckOf(parameter)(value)[0];
  if (first === undefined) return undefined;
  return first.path === '' ? first.message : `${first.path.replace(/^\./, '')} ${first.message}`;
}

interface CompiledArguments {
  readonly parameters: readonly { readonly name: string; readonly parameter: Parameter; readonly check: ValueCheck }[];
  readonly names: ReadonlySet<string>;
  readonly systemNames: ReadonlySet<string>;
  readonly stateNames: ReadonlySet<string>;
  readonly expected: string;
}

const compiledArguments = new WeakMap<Integration, CompiledArguments>();

/**
 * By the text of everything compileArguments reads: a definition decoded again, or another org's with
 * the same parameters, takes the compiled form (which reads only that text) without building it.
 */
const sharedArguments = new SharedByText<CompiledArguments>(MAX_SHARED_CHECKS);

function compileArguments(integration: Integration): CompiledArguments {
  let compiled = compiledArguments.get(integration);
  if (compiled !== undefined) return compiled;
  const text = JSON.stringify([integration.parameters, integration.fixedValues.map((f) => f.name), integration.contextValues.map((c) => c.name)]);
  compiled = sharedArguments.get(text, () => buildArguments(integration));
  compiledArguments.set(integration, compiled);
  return compiled;
}

function buildArguments(integration: Integration): CompiledArguments {
  // Parameters filled from the call state are not the model's: a value it sends for one is dropped (stateNames).
  const parameters = integration.parameters
    .filter(isModelParameter)
    .map((parameter) => ({ name: parameter.name, parameter, check: valueCheckOf(parameter) }));
  const stateNames = new Set<string>();
  for (const parameter of integration.parameters) if (!isModelParameter(parameter)) stateNames.add(parameter.name);
  const systemNames = new Set<string>();
  for (const fixed of integration.fixedValues) systemNames.add(fixed.name);
  for (const context of integration.contextValues) systemNames.add(context.name);
  return {
    parameters,
    names: new Set(parameters.map((p) => p.name)),
    systemNames,
    stateNames,
    expected: parameters.map((p) => p.name).join(', '),
  };
}

// Beyond this many, further unknown names are counted, not listed: the model needs the gist, not a dump.
const MAX_LISTED_UNKNOWN = 10;

function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? type : `a ${type}`;
}

/**
 * Checks arguments against the parameters and applies defaults. Every problem is reported, one per
 * field (nested fields by path, `address.city`, `items[2]`), each message starting with the field.
 * Models often send null for "not given": it is read as absent, so defaults and `required` apply.
 */
export function checkArguments(integration: Integration, args: unknown): ArgumentCheck {
  const compiled = compileArguments(integration);
  if (!isPlainObject(args)) {
    return { ok: false, problems: [{ field: 'arguments', message: `arguments must be an object, not ${shapeOf(args)}` }] };
  }
  // Before any step below walks the value recursively (deep equality, structuredClone of a default).
  if (nestsDeeperThan(args, MAX_ARGUMENTS_DEPTH)) return { ok: false, problems: [{ field: 'arguments', message: TOO_DEEP_MESSAGE }] };
  const problems: FieldProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const { name, parameter, check } of compiled.parameters) {
    const value = Object.hasOwn(args, name) ? args[name] : undefined;
    if (value === undefined || value === null) {
      if (parameter.required) problems.push({ field: name, message: `${name} is required` });
      else if (parameter.defaultValue !== undefined && parameter.defaultValue !== null) setOwn(values, name, copyDefault(parameter.defaultValue));
      continue;
    }
    const found = check(value);
    if (found.length === 0) setOwn(values, name, value);
    for (const problem of found) {
      const field = `${name}${problem.path}`;
      problems.push({ field, message: `${field} ${problem.message}` });
    }
  }
  let unknown = 0;
  let overridden: string[] | undefined;
  for (const key of Object.keys(args)) {
    if (compiled.names.has(key)) continue;
    if (compiled.stateNames.has(key)) {
      (overridden ??= []).push(key);
      continue;
    }
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
  if (problems.length > 0) return { ok: false, problems };
  return overridden === undefined ? { ok: true, values } : { ok: true, values, overridden };
}

function copyDefault(value: unknown): unknown {
  // A default object must not be shared between calls: a later step could change it.
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
