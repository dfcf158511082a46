import { ParameterType } from '@switchboard/contracts';

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
