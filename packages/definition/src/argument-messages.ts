import type { ErrorObject } from 'ajv/dist/2020.js';
import { LOCAL_TIME_PATTERN, PHONE_E164_PATTERN, isDateShape } from './string-format.js';

/**
 * Ajv's errors in words a model can act on ("must be a date in the form YYYY-MM-DD"), each the rest
 * of a sentence that starts with the field. They name rules from the definition, never a value:
 * values may be sensitive.
 */

/** The keyword argument-check.ts adds next to `type: integer` (see withSafeIntegers there). */
export const SAFE_INTEGER_KEYWORD = 'x-safe-integer';

const TYPE_WORDS: Record<string, string> = {
  string: 'must be a string',
  number: 'must be a number',
  integer: 'must be a whole number',
  boolean: 'must be true or false',
  array: 'must be a list',
  object: 'must be an object',
  null: 'must be null',
};

const FORMAT_WORDS: Record<string, string> = {
  date: 'must be a date in the form YYYY-MM-DD',
  'date-time': 'must be a date and time in the form YYYY-MM-DDTHH:MM:SS with a time zone, such as 2025-03-14T09:30:00Z',
  email: 'must be an email address such as name@example.com',
  uuid: 'must be a UUID such as 123e4567-e89b-12d3-a456-426614174000',
};

/** Formats the tool schema writes as patterns get the format's sentence, not the expression. */
const PATTERN_WORDS: Record<string, string> = {
  [LOCAL_TIME_PATTERN]: 'must be a time in the form HH:MM or HH:MM:SS (24-hour clock)',
  [PHONE_E164_PATTERN]: 'must be a phone number in international E.164 form, such as +14155550123',
};

/** Lower ranks say more: one problem per place is reported, the lowest ranked. */
const RANKS: Record<string, number> = {
  type: 0,
  [SAFE_INTEGER_KEYWORD]: 1,
  required: 1,
  additionalProperties: 1,
  enum: 2,
  const: 2,
  format: 3,
  minLength: 4,
  maxLength: 4,
  minItems: 4,
  maxItems: 4,
  pattern: 5,
};

export function schemaErrorRank(error: ErrorObject): number {
  return RANKS[error.keyword] ?? 6;
}

/** Argument and field names come from the model: shown short and quoted if they hold anything unusual. */
export function displayName(key: string): string {
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(key)) return key;
  return `${JSON.stringify(key.slice(0, 64))}${key.length > 64 ? '…' : ''}`;
}

function pathStep(key: string): string {
  if (/^\d+$/.test(key)) return `[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key)) return `.${key}`;
  return `[${displayName(key)}]`;
}

/** Where in the value an error is, as `.city` or `[2]` ('' for the value itself). */
export function schemaErrorSubject(error: ErrorObject): string {
  let path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => pathStep(segment.replaceAll('~1', '/').replaceAll('~0', '~')))
    .join('');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') path += pathStep(params['missingProperty']);
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') path += pathStep(params['additionalProperty']);
  return path;
}

function listed(values: readonly unknown[]): string {
  const shown = values.slice(0, 20).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return `${shown.join(', ')}${values.length > 20 ? ', …' : ''}`;
}

export function describeSchemaError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const limit = String(params['limit']);
  switch (error.keyword) {
    case 'type':
      return TYPE_WORDS[String(params['type'])] ?? `must be ${String(params['type'])}`;
    case SAFE_INTEGER_KEYWORD:
      return `must be a whole number between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
    case 'enum':
      return `must be one of: ${listed(Array.isArray(params['allowedValues']) ? (params['allowedValues'] as unknown[]) : [])}`;
    case 'const':
      return `must be ${listed([params['allowedValue']])}`;
    case 'format': {
      const format = String(params['format']);
      if (format === 'date' && typeof error.data === 'string' && isDateShape(error.data)) {
        return 'must be a real calendar date in the form YYYY-MM-DD';
      }
      return FORMAT_WORDS[format] ?? `must be a valid ${format}`;
    }
    case 'pattern': {
      const pattern = String(params['pattern']);
      return PATTERN_WORDS[pattern] ?? `must match the pattern ${pattern}`;
    }
    case 'minLength':
      return `must be at least ${limit} characters long`;
    case 'maxLength':
      return `must be at most ${limit} characters long`;
    case 'minItems':
      return `must have at least ${limit} items`;
    case 'maxItems':
      return `must have at most ${limit} items`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'multipleOf':
      return `must be a multiple of ${String(params['multipleOf'])}`;
    case 'uniqueItems':
      return 'must not list the same item twice';
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a field this tool takes';
    default:
      return `does not meet the tool's schema (${error.keyword})`;
  }
}
