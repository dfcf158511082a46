import { CREDENTIAL_ID_PATTERN, INTEGRATION_KEY_PATTERN } from '@switchboard/contracts';
import { PARAMETER_NAME_PATTERN } from '@switchboard/definition';

const MAX_KEY_LENGTH = 64;
const MAX_NAME_LENGTH = 64;

/** `getPatientAppointments`, `get-patient_appointments`, `GETPatientV2` -> lower-case words. */
export function words(text: string): string[] {
  return text
    // Brand-cased words read as one word: OAuth, OpenID.
    .replace(/OAuth/g, 'Oauth')
    .replace(/OpenID/g, 'Openid')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

export function snakeCase(text: string): string {
  return words(text).join('_');
}

function cut(text: string, max: number, separator: string): string {
  if (text.length <= max) return text;
  let out = text.slice(0, max);
  while (out.endsWith(separator)) out = out.slice(0, -1);
  return out;
}

/** Words that carry no meaning in a key: dropped first when a key is too long. */
const FILLER: ReadonlySet<string> = new Set(['the', 'a', 'an', 'of', 'for', 'to', 'by', 'in', 'on', 'with', 'and', 'from', 'at', 'its', 'this', 'that', 'all', 'api', 'v1']);
/** Long words and the short forms everyone reads the same way. */
const SHORT: Readonly<Record<string, string>> = {
  information: 'info',
  configuration: 'config',
  configurations: 'configs',
  organization: 'org',
  organizations: 'orgs',
  organisation: 'org',
  organisations: 'orgs',
  application: 'app',
  applications: 'apps',
  identifier: 'id',
  identifiers: 'ids',
  authorization: 'auth',
  authentication: 'auth',
  administrator: 'admin',
  administrators: 'admins',
  description: 'desc',
  reference: 'ref',
  references: 'refs',
  number: 'num',
  message: 'msg',
  messages: 'msgs',
  transaction: 'txn',
  transactions: 'txns',
  subscription: 'sub',
  subscriptions: 'subs',
  notification: 'notif',
  notifications: 'notifs',
  attribute: 'attr',
  attributes: 'attrs',
  parameter: 'param',
  parameters: 'params',
  document: 'doc',
  documents: 'docs',
  statistics: 'stats',
  appointment: 'appt',
  appointments: 'appts',
  available: 'avail',
  availability: 'avail',
  management: 'mgmt',
  environment: 'env',
  environments: 'envs',
};

/**
 * Words shortened to fit `max` characters joined by `_`, keeping their meaning: filler words go
 * first, then long words take their usual short forms, a word repeated next to itself goes, and
 * only then do words from the middle go (the first two and the last stay: verb, object, detail).
 */
export function shortenWords(all: readonly string[], max: number): string[] {
  const fits = (w: readonly string[]) => w.join('_').length <= max;
  let out = [...all];
  if (fits(out)) return out;
  const kept = out.filter((w, i) => i === 0 || !FILLER.has(w));
  out = kept.length > 0 ? kept : out;
  if (fits(out)) return out;
  out = out.map((w) => SHORT[w] ?? w).filter((w, i, list) => i === 0 || w !== list[i - 1]);
  while (!fits(out) && out.length > 3) out.splice(2, 1);
  return out;
}

/**
 * The integration key for an operation: its operationId in snake_case, or the method and path
 * (`get /patients/{id}/visits` -> `get_patients_by_id_visits`) when it has none; within 64
 * characters by shortenWords.
 */
export function integrationKey(operationId: string | undefined, method: string, path: string): string {
  const source = operationId !== undefined && words(operationId).length > 0
    ? operationId
    : `${method} ${path.replace(/\{([^}]*)\}/g, ' by $1 ')}`;
  let key = shortenWords(words(source), MAX_KEY_LENGTH).join('_');
  if (key === '') key = 'operation';
  if (!/^[a-z]/.test(key)) key = `op_${key}`;
  key = cut(key, MAX_KEY_LENGTH, '_');
  return INTEGRATION_KEY_PATTERN.test(key) ? key : 'operation';
}

/** Makes `base` unique among `taken` by appending _2, _3... within the length limit; records it. */
export function uniqueName(base: string, taken: Set<string>, max = MAX_KEY_LENGTH): string {
  let name = base;
  for (let n = 2; taken.has(name); n += 1) {
    const suffix = `_${n}`;
    name = `${cut(base, max - suffix.length, '_')}${suffix}`;
  }
  taken.add(name);
  return name;
}

/**
 * A parameter name the model can write: the document's own name when it is an identifier
 * (`patientId` stays `patientId`), else its words in snake_case (`X-Request-Date` -> `x_request_date`).
 */
export function parameterName(raw: string): string {
  if (PARAMETER_NAME_PATTERN.test(raw)) return raw;
  let name = snakeCase(raw);
  if (name === '') name = 'value';
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return cut(name, MAX_NAME_LENGTH, '_');
}

/** A credential id from a security scheme name: `PmsApiKey` -> `pms-api-key`. */
export function credentialId(schemeName: string): string {
  let id = words(schemeName).join('-');
  if (id === '') id = 'credential';
  id = cut(id, 64, '-');
  return CREDENTIAL_ID_PATTERN.test(id) ? id : 'credential';
}

/** "listAppointments" -> "List appointments", for operations without a summary. */
export function humanise(text: string): string {
  const all = words(text).join(' ');
  return all.charAt(0).toUpperCase() + all.slice(1);
}
