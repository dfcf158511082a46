import {
  API_KEY_PLACEMENT_NAMES,
  AUDIT_MODE_NAMES,
  AUTH_TYPE_NAMES,
  BODY_ENCODING_NAMES,
  BURDEN_LEVEL_NAMES,
  CACHE_SCOPE_NAMES,
  CONTEXT_FIELD_NAMES,
  DELIVERY_MODE_NAMES,
  HTTP_METHOD_NAMES,
  OAUTH_CLIENT_AUTH_NAMES,
  PARAMETER_LOCATION_NAMES,
  PARAMETER_TYPE_NAMES,
  STRING_FORMAT_NAMES,
  type EnumNames,
} from './enum-names.js';

/**
 * The shape of the integrator's document, one entry per proto field, so that parsing (names,
 * aliases, enum names, types) and printing walk the same table and cannot drift apart.
 */
export type FieldKind =
  | { readonly kind: 'string' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'uint' }
  | { readonly kind: 'double' }
  | { readonly kind: 'enum'; readonly names: EnumNames }
  | { readonly kind: 'message'; readonly fields: MessageSpec }
  | { readonly kind: 'repeated'; readonly of: FieldKind }
  /** google.protobuf.Value: any JSON value. */
  | { readonly kind: 'json' }
  /** google.protobuf.ListValue. */
  | { readonly kind: 'list' }
  /** google.protobuf.Struct. */
  | { readonly kind: 'struct' }
  | { readonly kind: 'string_map' };

export interface FieldSpec {
  /** The proto field name, as documents are printed. */
  readonly snake: string;
  /** The proto JSON name, as ts-proto's fromJSON reads it. */
  readonly camel: string;
  readonly type: FieldKind;
  /** Other names a document may use, e.g. `in` for `location`. */
  readonly aliases: readonly string[];
  /** proto3 `optional`: zero is a value, not an absence, so it is printed. */
  readonly explicit: boolean;
  /** A boolean that documents treat as true when absent (proto3's zero would be false). */
  readonly defaultTrue: boolean;
}

export type MessageSpec = readonly FieldSpec[];

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function field(
  snake: string,
  type: FieldKind,
  options: { aliases?: string[]; explicit?: boolean; defaultTrue?: boolean } = {},
): FieldSpec {
  return {
    snake,
    camel: camel(snake),
    type,
    aliases: options.aliases ?? [],
    explicit: options.explicit ?? false,
    defaultTrue: options.defaultTrue ?? false,
  };
}

const STRING: FieldKind = { kind: 'string' };
const BOOL: FieldKind = { kind: 'bool' };
const UINT: FieldKind = { kind: 'uint' };
const DOUBLE: FieldKind = { kind: 'double' };
const en = (names: EnumNames): FieldKind => ({ kind: 'enum', names });
const msg = (fields: MessageSpec): FieldKind => ({ kind: 'message', fields });
const list = (of: FieldKind): FieldKind => ({ kind: 'repeated', of });

const LOCATION = field('location', en(PARAMETER_LOCATION_NAMES), { aliases: ['in'] });

const PARAMETER: FieldSpec[] = [
  field('name', STRING),
  field('description', STRING),
  field('type', en(PARAMETER_TYPE_NAMES)),
  field('required', BOOL),
  field('default_value', { kind: 'json' }, { aliases: ['default'] }),
  field('enum_values', { kind: 'list' }, { aliases: ['enum'] }),
  field('format', en(STRING_FORMAT_NAMES)),
  field('min_length', UINT, { explicit: true }),
  field('max_length', UINT, { explicit: true }),
  field('minimum', DOUBLE, { explicit: true }),
  field('maximum', DOUBLE, { explicit: true }),
  field('pattern', STRING),
  LOCATION,
  field('wire_name', STRING),
  field('sensitive', BOOL),
  field('from', STRING),
];
// An array's items and an object's properties are parameters themselves, nested.
PARAMETER.push(field('items', msg(PARAMETER)), field('properties', list(msg(PARAMETER))));

const FIXED_VALUE: MessageSpec = [field('name', STRING), LOCATION, field('value', { kind: 'json' })];

const CONTEXT_VALUE: MessageSpec = [field('name', STRING), LOCATION, field('source', en(CONTEXT_FIELD_NAMES))];

const OAUTH2: MessageSpec = [
  field('token_url', STRING),
  field('scopes', list(STRING)),
  field('extra_params', { kind: 'string_map' }),
  field('client_auth', en(OAUTH_CLIENT_AUTH_NAMES)),
];

const AUTH: MessageSpec = [
  field('type', en(AUTH_TYPE_NAMES)),
  field('credential_id', STRING),
  field('api_key_in', en(API_KEY_PLACEMENT_NAMES)),
  field('api_key_name', STRING),
  field('oauth2', msg(OAUTH2)),
  field('mtls_credential_id', STRING),
];

const RESPONSE_MAPPING: MessageSpec = [
  field('fields', list(msg([field('name', STRING), field('expression', STRING)]))),
  field('summary_template', STRING),
  field('max_result_bytes', UINT),
  field('exports', { kind: 'string_map' }),
  field('sensitive_exports', list(STRING)),
];

const BURDEN: MessageSpec = [
  field('level', en(BURDEN_LEVEL_NAMES)),
  field('filler_phrase', STRING),
  field('confirmation_prompt', STRING),
  field('accepted_verification_methods', list(STRING)),
];

const SPEECH: MessageSpec = [
  field('start_phrase', STRING),
  field('delay_phrase', STRING),
  field('delay_after_ms', UINT),
  field('failure_phrase', STRING),
];

export const INTEGRATION_SPEC: MessageSpec = [
  field('key', STRING),
  field('name', STRING),
  field('description', STRING),
  // An integrator who writes a definition means to use it; proto3's zero would disable it.
  field('enabled', BOOL, { defaultTrue: true }),
  field('method', en(HTTP_METHOD_NAMES)),
  field('url_template', STRING),
  field('parameters', list(msg(PARAMETER))),
  field('fixed_values', list(msg(FIXED_VALUE))),
  field('context_values', list(msg(CONTEXT_VALUE))),
  field('auth', msg(AUTH)),
  field('response_mapping', msg(RESPONSE_MAPPING)),
  field('burden', msg(BURDEN)),
  field('speech', msg(SPEECH)),
  field('timeouts', msg([field('total_ms', UINT), field('connect_ms', UINT)])),
  field('retry', msg([field('max_attempts', UINT), field('base_delay_ms', UINT), field('idempotency_key_header', STRING)])),
  field(
    'breaker',
    msg([
      field('error_threshold_percent', UINT),
      field('volume_threshold', UINT),
      field('reset_timeout_ms', UINT),
      field('rolling_window_ms', UINT),
      field('disabled', BOOL),
    ]),
  ),
  field('sample_arguments', { kind: 'struct' }),
  field('body_encoding', en(BODY_ENCODING_NAMES)),
  field('allow_body_on_any_method', BOOL),
  field('max_redirects', UINT),
  field('signing_credential_id', STRING),
  field('delivery', msg([field('mode', en(DELIVERY_MODE_NAMES)), field('max_attempts', UINT), field('max_age_ms', UINT)])),
  field('limits', msg([field('max_concurrent', UINT), field('rate_per_second', DOUBLE), field('burst', UINT), field('max_queue_ms', UINT)])),
  field('cache', msg([field('ttl_seconds', UINT), field('scope', en(CACHE_SCOPE_NAMES))])),
  field('audit', en(AUDIT_MODE_NAMES)),
  field('verifies', msg([field('level', STRING), field('ttl_seconds', UINT), field('condition', STRING)])),
];
