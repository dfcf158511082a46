import { ParameterLocation, ParameterType, StringFormat, type Parameter } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import {
  PARAMETER_LOCATION_NAMES,
  PARAMETER_TYPE_NAMES,
  STRING_FORMAT_NAMES,
  isKnownEnumValue,
} from './enum-names.js';
import {
  MAX_ENUM_VALUES,
  MAX_NESTED_PARAMETERS,
  MAX_PARAMETER_DESCRIPTION_LENGTH,
  MAX_PARAMETER_NESTING,
  MAX_PROPERTY_NAME_LENGTH,
  MAX_PATTERN_LENGTH,
  MAX_WIRE_NAME_LENGTH,
} from './limits.js';
import { checkParameterValue } from './argument-check.js';
import { hasParameterType, jsonEqual, jsonTypeOf } from './parameter-value.js';
import { patternProblem } from './safe-pattern.js';
import { headerValueProblem, scalarHeaderText } from './header-value.js';

/** Parameter names become JSON property names the model writes and template look-ups: identifiers only. */
export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const SCALAR_TYPES: readonly ParameterType[] = [
  ParameterType.PARAMETER_TYPE_STRING,
  ParameterType.PARAMETER_TYPE_NUMBER,
  ParameterType.PARAMETER_TYPE_INTEGER,
  ParameterType.PARAMETER_TYPE_BOOLEAN,
];

function isNonNegativeInteger(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function an(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function checkLengths(p: Parameter, at: string, problems: FieldProblem[]): void {
  const applies = p.type === ParameterType.PARAMETER_TYPE_STRING || p.type === ParameterType.PARAMETER_TYPE_ARRAY;
  for (const [field, value] of [
    ['min_length', p.minLength],
    ['max_length', p.maxLength],
  ] as const) {
    if (value === undefined) continue;
    if (!applies) problems.push({ field: `${at}.${field}`, message: 'only applies to string and array parameters' });
    else if (!isNonNegativeInteger(value)) problems.push({ field: `${at}.${field}`, message: 'must be a whole number of 0 or more' });
  }
  if (applies && p.minLength !== undefined && p.maxLength !== undefined && p.minLength > p.maxLength) {
    problems.push({ field: `${at}.min_length`, message: 'must not be greater than max_length' });
  }
}

function checkRange(p: Parameter, at: string, problems: FieldProblem[]): void {
  const applies = p.type === ParameterType.PARAMETER_TYPE_NUMBER || p.type === ParameterType.PARAMETER_TYPE_INTEGER;
  for (const [field, value] of [
    ['minimum', p.minimum],
    ['maximum', p.maximum],
  ] as const) {
    if (value === undefined) continue;
    if (!applies) problems.push({ field: `${at}.${field}`, message: 'only applies to number and integer parameters' });
    else if (!Number.isFinite(value)) problems.push({ field: `${at}.${field}`, message: 'must be a finite number' });
  }
  if (applies && p.minimum !== undefined && p.maximum !== undefined && p.minimum > p.maximum) {
    problems.push({ field: `${at}.minimum`, message: 'must not be greater than maximum' });
  }
}

function checkPattern(p: Parameter, at: string, problems: FieldProblem[]): void {
  if (p.pattern === '') return;
  if (p.type !== ParameterType.PARAMETER_TYPE_STRING) {
    problems.push({ field: `${at}.pattern`, message: 'only applies to string parameters' });
    return;
  }
  if (p.pattern.length > MAX_PATTERN_LENGTH) {
    problems.push({ field: `${at}.pattern`, message: `must be at most ${MAX_PATTERN_LENGTH} characters` });
    return;
  }
  const problem = patternProblem(p.pattern);
  if (problem !== undefined) problems.push({ field: `${at}.pattern`, message: problem });
}

function checkEnum(p: Parameter, at: string, problems: FieldProblem[]): void {
  const values: unknown[] = Array.isArray(p.enumValues) ? p.enumValues : [];
  const type = jsonTypeOf(p.type);
  if (values.length === 0 || type === undefined) return;
  if (values.length > MAX_ENUM_VALUES) {
    problems.push({ field: `${at}.enum_values`, message: `must have at most ${MAX_ENUM_VALUES} values` });
  }
  values.forEach((value, k) => {
    if (!hasParameterType(p.type, value)) {
      problems.push({ field: `${at}.enum_values[${k}]`, message: `must be ${an(type)}, as the parameter's type says` });
    } else if (values.slice(0, k).some((other) => jsonEqual(other, value))) {
      problems.push({ field: `${at}.enum_values[${k}]`, message: 'is listed twice' });
    }
  });
}

/** A header parameter's own values (default, enum) go out as they are: each must be a valid header value. */
function checkHeaderValues(p: Parameter, at: string, problems: FieldProblem[]): void {
  const candidates: [string, unknown][] = (Array.isArray(p.enumValues) ? (p.enumValues as unknown[]) : []).map((v, k) => [`${at}.enum_values[${k}]`, v]);
  if (p.defaultValue !== undefined) candidates.push([`${at}.default_value`, p.defaultValue]);
  for (const [field, value] of candidates) {
    const text = scalarHeaderText(value);
    const problem = text === undefined ? undefined : headerValueProblem(text);
    if (problem !== undefined) problems.push({ field, message: problem });
  }
}

function checkPlacement(p: Parameter, at: string, problems: FieldProblem[]): void {
  const type = p.type;
  if (type === ParameterType.PARAMETER_TYPE_UNSPECIFIED || !isKnownEnumValue(PARAMETER_TYPE_NAMES, type)) return;
  switch (p.location) {
    case ParameterLocation.PARAMETER_LOCATION_PATH:
      if (!SCALAR_TYPES.includes(type)) {
        problems.push({ field: `${at}.type`, message: 'a path parameter must be a string, number, integer or boolean' });
      }
      // An empty path value would change which resource the request names, so the executor refuses it.
      if (!p.required && p.defaultValue === undefined) {
        problems.push({ field: `${at}.required`, message: 'a path parameter must be required or have a default' });
      }
      break;
    case ParameterLocation.PARAMETER_LOCATION_HEADER:
      if (!SCALAR_TYPES.includes(type)) {
        problems.push({ field: `${at}.type`, message: 'a header parameter must be a string, number, integer or boolean' });
      }
      checkHeaderValues(p, at, problems);
      break;
    case ParameterLocation.PARAMETER_LOCATION_QUERY:
      if (type === ParameterType.PARAMETER_TYPE_OBJECT) {
        problems.push({ field: `${at}.type`, message: 'a query parameter cannot be an object: place it in the body' });
      }
      break;
    default:
      break;
  }
}

/** What every parameter, nested or not, must get right: its type and the constraints that go with it. */
function checkShape(p: Parameter, at: string, problems: FieldProblem[]): void {
  if (p.description.length > MAX_PARAMETER_DESCRIPTION_LENGTH) {
    problems.push({ field: `${at}.description`, message: `must be at most ${MAX_PARAMETER_DESCRIPTION_LENGTH} characters` });
  }
  if (p.type === ParameterType.PARAMETER_TYPE_UNSPECIFIED || !isKnownEnumValue(PARAMETER_TYPE_NAMES, p.type)) {
    problems.push({ field: `${at}.type`, message: `must be ${PARAMETER_TYPE_NAMES.choices}` });
  }
  if (!isKnownEnumValue(STRING_FORMAT_NAMES, p.format)) {
    problems.push({ field: `${at}.format`, message: `must be ${STRING_FORMAT_NAMES.choices}` });
  } else if (p.format !== StringFormat.STRING_FORMAT_UNSPECIFIED && p.type !== ParameterType.PARAMETER_TYPE_STRING) {
    problems.push({ field: `${at}.format`, message: 'only applies to string parameters' });
  }
  checkLengths(p, at, problems);
  checkRange(p, at, problems);
  checkPattern(p, at, problems);
  checkEnum(p, at, problems);
  if (p.defaultValue !== undefined) {
    const problem = checkParameterValue(p, p.defaultValue);
    if (problem !== undefined) problems.push({ field: `${at}.default_value`, message: problem });
  }
}

/** Counts the parameters nested under one, all levels together. */
function nestedCount(p: Parameter): number {
  const children = [...(p.items === undefined ? [] : [p.items]), ...p.properties];
  return children.reduce((n, child) => n + 1 + nestedCount(child), 0);
}

/**
 * An array's `items` and an object's `properties`: shapes only. They have no location or wire name
 * of their own (they travel inside their parent's value); properties have unique names.
 */
function checkNested(p: Parameter, at: string, depth: number, problems: FieldProblem[]): void {
  if (p.items !== undefined && p.type !== ParameterType.PARAMETER_TYPE_ARRAY) {
    problems.push({ field: `${at}.items`, message: 'only applies to array parameters' });
  }
  if (p.properties.length > 0 && p.type !== ParameterType.PARAMETER_TYPE_OBJECT) {
    problems.push({ field: `${at}.properties`, message: 'only applies to object parameters' });
  }
  const children: [Parameter, string][] = [
    ...(p.items === undefined ? [] : [[p.items, `${at}.items`] as [Parameter, string]]),
    ...p.properties.map((child, k): [Parameter, string] => [child, `${at}.properties[${k}]`]),
  ];
  if (children.length > 0 && depth >= MAX_PARAMETER_NESTING) {
    problems.push({ field: at, message: `nests items and properties more than ${MAX_PARAMETER_NESTING} levels deep` });
    return;
  }
  const seen = new Map<string, number>();
  for (const [child, childAt] of children) {
    checkShape(child, childAt, problems);
    if (child.location !== ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED) {
      problems.push({ field: `${childAt}.location`, message: "must not be set: it travels inside its parent's value" });
    }
    if (child.wireName !== '') problems.push({ field: `${childAt}.wire_name`, message: 'must not be set: the property name is the key' });
    checkNested(child, childAt, depth + 1, problems);
  }
  p.properties.forEach((child, k) => {
    const childAt = `${at}.properties[${k}].name`;
    if (child.name === '') problems.push({ field: childAt, message: 'must be set' });
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    else if (child.name.length > MAX_PROPERTY_NAME_LENGTH || /[\u0000-\u001f]/.test(child.name)) {
      problems.push({ field: childAt, message: `must be at most ${MAX_PROPERTY_NAME_LENGTH} characters, without control characters` });
    }
    const first = seen.get(child.name);
    if (first === undefined) seen.set(child.name, k);
    else problems.push({ field: childAt, message: `"${child.name}" is already the name of ${at}.properties[${first}]` });
  });
}

function checkOne(p: Parameter, at: string, problems: FieldProblem[]): void {
  if (p.name === '') problems.push({ field: `${at}.name`, message: 'must be set' });
  else if (!PARAMETER_NAME_PATTERN.test(p.name)) {
    problems.push({ field: `${at}.name`, message: 'must start with a letter or _ and hold only letters, digits and _ (at most 64)' });
  }
  if (p.location === ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED || !isKnownEnumValue(PARAMETER_LOCATION_NAMES, p.location)) {
    problems.push({ field: `${at}.location`, message: `must be ${PARAMETER_LOCATION_NAMES.choices}` });
  }
  if (p.wireName.length > MAX_WIRE_NAME_LENGTH) {
    problems.push({ field: `${at}.wire_name`, message: `must be at most ${MAX_WIRE_NAME_LENGTH} characters` });
  } else if (p.wireName !== '' && p.wireName.trim() !== p.wireName) {
    problems.push({ field: `${at}.wire_name`, message: 'must not start or end with spaces' });
  }
  checkShape(p, at, problems);
  checkPlacement(p, at, problems);
  if (nestedCount(p) > MAX_NESTED_PARAMETERS) {
    problems.push({ field: at, message: `holds more than ${MAX_NESTED_PARAMETERS} items and properties` });
    return;
  }
  checkNested(p, at, 1, problems);
}

/** Checks each parameter on its own and that their names are unique. */
export function validateParameters(parameters: readonly Parameter[], problems: FieldProblem[]): void {
  const seen = new Map<string, number>();
  parameters.forEach((p, i) => {
    const at = `parameters[${i}]`;
    checkOne(p, at, problems);
    if (p.name === '') return;
    const first = seen.get(p.name);
    if (first === undefined) seen.set(p.name, i);
    else problems.push({ field: `${at}.name`, message: `"${p.name}" is already the name of parameters[${first}]` });
  });
}
