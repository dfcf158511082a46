import { TreeInterpreter, compile, type JSONValue } from '@jmespath-community/jmespath';
import type { CallStateUse, StateExport } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { REDACTED } from '../redact.js';
import type { MappedResponse } from '../response-mapper.js';

type Expression = ReturnType<typeof compile>;

// Definitions are immutable once loaded: each export and condition is compiled once.
const compiled = new Map<string, Expression>();
const RELEASE: Expression = compile('@');

function expressionOf(source: string): Expression {
  let expression = compiled.get(source);
  if (expression === undefined) {
    expression = compile(source);
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(source, expression);
  }
  return expression;
}

function search(source: string, body: unknown): unknown {
  try {
    return TreeInterpreter.search(expressionOf(source), (body === undefined ? null : body) as JSONValue);
  } catch (err) {
    throw new SwitchboardError('MAPPING_FAILED', `a call-state expression failed on this response (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  } finally {
    // The interpreter is a module singleton that keeps its last input: let the response go.
    TreeInterpreter.search(RELEASE, null);
  }
}

export interface ExportedValue {
  readonly name: string;
  readonly value: unknown;
  readonly sensitive: boolean;
}

/** The values a successful answer exports; an expression that finds nothing (null) exports nothing. */
export function exportedValues(exports: readonly StateExport[], body: unknown): ExportedValue[] {
  const out: ExportedValue[] = [];
  for (const e of exports) {
    const value = search(e.expression, body);
    if (value !== null && value !== undefined) out.push({ name: e.name, value, sensitive: e.sensitive });
  }
  return out;
}

/** JMESPath truthiness: not null, false, "", [] or {}. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Whether a verifier's 2xx answer verifies the caller: its condition holds (no condition: any 2xx does). */
export function verifierPassed(verifier: NonNullable<CallStateUse['verifier']>, body: unknown): boolean {
  return verifier.condition === '' || truthy(search(verifier.condition, body));
}

function hideIn(value: unknown, hidden: readonly unknown[]): unknown {
  if (hidden.includes(value)) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => hideIn(v, hidden));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: hideIn(v, hidden), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * The mapped result and summary without the given (sensitive exported) values: every field equal to
 * one reads "[REDACTED]", and the summary has each one's text replaced. The model learns the value was
 * set, from the response's call_state, never what it is.
 */
export function hideValues(mapped: MappedResponse, values: readonly unknown[]): MappedResponse {
  if (values.length === 0) return mapped;
  const result = hideIn(mapped.result, values) as Record<string, unknown>;
  let summary = mapped.summary;
  for (const v of values) {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    if (text !== '' && summary.includes(text)) summary = summary.replaceAll(text, REDACTED);
  }
  return { ...mapped, result, resultJson: JSON.stringify(result), summary };
}
