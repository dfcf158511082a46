import {
  ApiKeyPlacement,
  AuditMode,
  AuthType,
  BodyEncoding,
  BurdenLevel,
  CacheScope,
  ContextField,
  DeliveryMode,
  HttpMethod,
  OAuthClientAuth,
  ParameterLocation,
  ParameterType,
  StringFormat,
} from '@switchboard/contracts';

/**
 * The short, case-insensitive names an integrator writes for a proto enum (`GET`, `path`,
 * `date-time`) next to the full proto names (`HTTP_METHOD_GET`), and the one short name we print.
 */
export interface EnumNames {
  /** What the field is called in messages, e.g. "method". */
  readonly label: string;
  /** Normalised input (lower case, `-` as `_`) to value. */
  readonly lookup: ReadonlyMap<string, number>;
  /** Value to the name written back into a document; absent for UNSPECIFIED. */
  readonly printed: ReadonlyMap<number, string>;
  /** "GET, POST, PUT, PATCH or DELETE", for error messages. */
  readonly choices: string;
}

function normalise(name: string): string {
  return name.trim().toLowerCase().replaceAll('-', '_');
}

function orList(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}`;
}

function enumNames(
  label: string,
  values: Record<string, string | number>,
  prefix: string,
  options: { upper?: boolean; print?: Record<number, string>; aliases?: Record<string, number> } = {},
): EnumNames {
  const lookup = new Map<string, number>();
  const printed = new Map<number, string>();
  for (const [key, value] of Object.entries(values)) {
    // ts-proto enums are numeric, so Object.entries also yields the reverse (number -> name) entries.
    if (typeof value !== 'number' || value < 0) continue;
    lookup.set(normalise(key), value);
    if (value === 0) continue;
    const short = key.slice(prefix.length).toLowerCase();
    lookup.set(short, value);
    const shown = options.print?.[value] ?? short;
    printed.set(value, options.upper === true ? shown.toUpperCase() : shown);
  }
  for (const [alias, value] of Object.entries(options.aliases ?? {})) lookup.set(normalise(alias), value);
  return { label, lookup, printed, choices: orList([...printed.values()]) };
}

export const HTTP_METHOD_NAMES = enumNames('method', HttpMethod, 'HTTP_METHOD_', { upper: true });
export const PARAMETER_TYPE_NAMES = enumNames('type', ParameterType, 'PARAMETER_TYPE_');
export const STRING_FORMAT_NAMES = enumNames('format', StringFormat, 'STRING_FORMAT_', {
  print: { [StringFormat.STRING_FORMAT_DATE_TIME]: 'date-time', [StringFormat.STRING_FORMAT_PHONE_E164]: 'phone' },
  aliases: { phone: StringFormat.STRING_FORMAT_PHONE_E164, e164: StringFormat.STRING_FORMAT_PHONE_E164, datetime: StringFormat.STRING_FORMAT_DATE_TIME },
});
export const PARAMETER_LOCATION_NAMES = enumNames('location', ParameterLocation, 'PARAMETER_LOCATION_');
export const BODY_ENCODING_NAMES = enumNames('body encoding', BodyEncoding, 'BODY_ENCODING_');
export const CONTEXT_FIELD_NAMES = enumNames('context source', ContextField, 'CONTEXT_FIELD_');
export const AUTH_TYPE_NAMES = enumNames('auth type', AuthType, 'AUTH_TYPE_');
export const API_KEY_PLACEMENT_NAMES = enumNames('API key placement', ApiKeyPlacement, 'API_KEY_PLACEMENT_');
export const OAUTH_CLIENT_AUTH_NAMES = enumNames('OAuth client authentication', OAuthClientAuth, 'O_AUTH_CLIENT_AUTH_', {
  print: { [OAuthClientAuth.O_AUTH_CLIENT_AUTH_BASIC_HEADER]: 'basic' },
  aliases: { basic: OAuthClientAuth.O_AUTH_CLIENT_AUTH_BASIC_HEADER },
});
export const BURDEN_LEVEL_NAMES = enumNames('burden level', BurdenLevel, 'BURDEN_LEVEL_');
export const DELIVERY_MODE_NAMES = enumNames('delivery mode', DeliveryMode, 'DELIVERY_MODE_');
export const CACHE_SCOPE_NAMES = enumNames('cache scope', CacheScope, 'CACHE_SCOPE_');
export const AUDIT_MODE_NAMES = enumNames('audit mode', AuditMode, 'AUDIT_MODE_');

/** The value for a written name, or undefined when the name is not one of the choices. */
export function enumValueOf(names: EnumNames, written: string): number | undefined {
  return names.lookup.get(normalise(written));
}

/** The short name of a value, or undefined for UNSPECIFIED and unknown values. */
export function enumNameOf(names: EnumNames, value: number): string | undefined {
  return names.printed.get(value);
}

/** True for the values the enum defines (UNSPECIFIED included); false for UNRECOGNIZED (-1) and strays. */
export function isKnownEnumValue(names: EnumNames, value: number): boolean {
  return value === 0 || names.printed.has(value);
}
