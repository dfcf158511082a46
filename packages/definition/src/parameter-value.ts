import { ParameterType, type Parameter } from '@switchboard/contracts';
import { STRING_FORMAT_NAMES, enumNameOf } from './enum-names.js';
import { matchesStringFormat } from './string-format.js';

/** The JSON type word for a parameter type, as used in messages and in JSON Schema. */
export function jsonTypeOf(type: ParameterType): string | undefined {
  switch (type) {
    case ParameterType.PARAMETER_TYPE_STRING:
      return 'string';
    case ParameterType.PARAMETER_TYPE_NUMBER:
      return 'number';
    case ParameterType.PARAMETER_TYPE_INTEGER:
      return 'integer';
    case ParameterType.PARAMETER_TYPE_BOOLEAN:
      return 'boolean';
    case ParameterType.PARAMETER_TYPE_ARRAY:
      return 'array';
    case ParameterType.PARAMETER_TYPE_OBJECT:
      return 'object';
    default:
      return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a JSON value has the parameter's type (JSON Schema semantics: 1.0 is an integer). */
export function hasParameterType(type: ParameterType, value: unknown): boolean {
  switch (type) {
    case ParameterType.PARAMETER_TYPE_STRING:
      return typeof value === 'string';
    case ParameterType.PARAMETER_TYPE_NUMBER:
      return typeof value === 'number' && Number.isFinite(value);
    case ParameterType.PARAMETER_TYPE_INTEGER:
      return typeof value === 'number' && Number.isInteger(value);
    case ParameterType.PARAMETER_TYPE_BOOLEAN:
      return typeof value === 'boolean';
    case ParameterType.PARAMETER_TYPE_ARRAY:
      return Array.isArray(value);
    case ParameterType.PARAMETER_TYPE_OBJECT:
      return isPlainObject(value);
    default:
      return false;
  }
}

/** Structural equality of JSON values, as JSON Schema's `enum` compares them. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Characters as JSON Schema counts them (code points, not UTF-16 units). */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/**
 * Checks one value against a parameter's type and constraints and says what is wrong, or returns
 * undefined when it is fine. The message names the rule, never the value: values may be sensitive.
 * Constraints that do not compile (a bad pattern) are skipped here; validation reports them.
 */
export function checkParameterValue(parameter: Parameter, value: unknown): string | undefined {
  const type = jsonTypeOf(parameter.type);
  if (type === undefined) return undefined;
  if (!hasParameterType(parameter.type, value)) return `must be ${type === 'integer' || type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`;
  const choices: unknown[] = Array.isArray(parameter.enumValues) ? parameter.enumValues : [];
  if (choices.length > 0 && !choices.some((c) => jsonEqual(c, value))) return 'must be one of the allowed values';
  if (typeof value === 'string') {
    const length = codePoints(value);
    if (parameter.minLength !== undefined && length < parameter.minLength) return `must be at least ${parameter.minLength} characters long`;
    if (parameter.maxLength !== undefined && length > parameter.maxLength) return `must be at most ${parameter.maxLength} characters long`;
    if (parameter.pattern !== '') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(parameter.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re !== undefined && !re.test(value)) return 'must match the pattern';
    }
    if (!matchesStringFormat(parameter.format, value)) {
      return `must be a valid ${enumNameOf(STRING_FORMAT_NAMES, parameter.format) ?? 'value'}`;
    }
  }
  if (Array.isArray(value)) {
    if (parameter.minLength !== undefined && value.length < parameter.minLength) return `must have at least ${parameter.minLength} items`;
    if (parameter.maxLength !== undefined && value.length > parameter.maxLength) return `must have at most ${parameter.maxLength} items`;
  }
  if (typeof value === 'number') {
    if (parameter.minimum !== undefined && value < parameter.minimum) return `must be at least ${parameter.minimum}`;
    if (parameter.maximum !== undefined && value > parameter.maximum) return `must be at most ${parameter.maximum}`;
  }
  return undefined;
}
