import { SwitchboardError } from '@switchboard/errors';
import { refuseUnauthenticatedTls } from './unauthenticated-tls.js';

/**
 * A calling service (the console, the MCP gateway, the call runtime) and the methods it may call on
 * one server. It proves who it is with its own token, or with a client certificate whose subject CN
 * is its name when the server requires client certificates.
 */
export interface ServiceIdentity {
  readonly name: string;
  /**
   * The tokens it may present: one, or, during a rotation, the new and the old (`SERVICE_TOKEN_<NAME>`
   * holds them comma-separated). Empty when it is recognised by its client certificate only.
   */
  readonly tokens: readonly string[];
  /** Method names as in the proto (`Invoke`, `ListTools`), or `*` for every method of this server. */
  readonly methods: ReadonlySet<string> | '*';
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const MIN_TOKEN_LENGTH = 16;

/** `SERVICE_TOKEN_<NAME>`: the variable that holds an identity's token (`mcp-gateway` → `SERVICE_TOKEN_MCP_GATEWAY`). */
export function tokenVariableOf(name: string): string {
  return `SERVICE_TOKEN_${name.toUpperCase().replace(/-/g, '_')}`;
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('INVALID_CONFIG', `SERVICE_IDENTITIES: ${message}`);
}

export interface ParseIdentitiesOptions {
  /** Every method this server answers; an allow-list naming another is refused (a typo would lock a caller out). */
  readonly knownMethods: readonly string[];
  /** The environment the tokens are read from (`SERVICE_TOKEN_<NAME>`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether the server requires client certificates, so an identity may go without a token. */
  readonly clientCertificates: boolean;
}

/**
 * Parses `SERVICE_IDENTITIES`: `name:Method,Method;name:*`, e.g.
 * `console:*;mcp-gateway:ListTools,Invoke;runtime:ListTools,Invoke`. Each identity's token is read
 * from `SERVICE_TOKEN_<NAME>` (comma-separated tokens while one is being rotated). Refuses, with a sentence naming the entry, unknown methods, duplicate
 * names, short or shared tokens, and identities that could not prove who they are.
 */
export function parseServiceIdentities(spec: string | undefined, options: ParseIdentitiesOptions): ServiceIdentity[] {
  if (spec === undefined || spec.trim() === '') return [];
  const known = new Set(options.knownMethods);
  const identities: ServiceIdentity[] = [];
  const tokens = new Map<string, string>();
  for (const raw of spec.split(';')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalid(`"${entry}" must be name:Method,Method or name:*`);
    const name = entry.slice(0, colon).trim();
    if (!NAME.test(name)) throw invalid(`"${name}" is not a valid identity name (lower-case letters, digits and "-", starting with a letter)`);
    if (identities.some((i) => i.name === name)) throw invalid(`identity "${name}" is listed twice`);
    const list = entry.slice(colon + 1).split(',').map((m) => m.trim()).filter((m) => m !== '');
    if (list.length === 0) throw invalid(`identity "${name}" allows no method`);
    let methods: ServiceIdentity['methods'];
    if (list.length === 1 && list[0] === '*') {
      methods = '*';
    } else {
      for (const m of list) {
        if (!known.has(m)) throw invalid(`identity "${name}" names method "${m}", which this service does not have (it has ${[...known].join(', ')})`);
      }
      methods = new Set(list);
    }
    const variable = tokenVariableOf(name);
    const own = (options.env[variable] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (own.some((t) => t.length < MIN_TOKEN_LENGTH)) throw invalid(`every token in ${variable} must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (own.length === 0 && !options.clientCertificates) {
      throw invalid(`identity "${name}" has no token: set ${variable}, or require client certificates (GRPC_TLS_CLIENT_CA_FILE) whose CN is "${name}"`);
    }
    for (const token of own) {
      const other = tokens.get(token);
      if (other !== undefined) throw invalid(`identities "${other}" and "${name}" share a token; give each service its own`);
      tokens.set(token, name);
    }
    identities.push({ name, tokens: own, methods });
  }
  return identities;
}

/** The `grpcServerEnv` variables (@switchboard/config) that decide who may call a server. */
export interface ServerAuthVariables {
  readonly SERVICE_IDENTITIES?: string | undefined;
  readonly SERVICE_TOKEN?: string | undefined;
  readonly GRPC_TLS_CERT_FILE?: string | undefined;
  readonly GRPC_TLS_KEY_FILE?: string | undefined;
  readonly GRPC_TLS_CLIENT_CA_FILE?: string | undefined;
  readonly GRPC_ALLOW_UNAUTHENTICATED: boolean;
}

/**
 * The identities of a server's parsed config, read from the same environment, checked at start-up
 * before anything connects: bad identities, and TLS that authenticates nobody, stop it with one sentence.
 */
export function identitiesOf(config: ServerAuthVariables, env: Readonly<Record<string, string | undefined>>, knownMethods: readonly string[]): ServiceIdentity[] {
  const clientCertificates = config.GRPC_TLS_CLIENT_CA_FILE !== undefined;
  const identities = parseServiceIdentities(config.SERVICE_IDENTITIES, { knownMethods, env, clientCertificates });
  const authenticates = identities.length > 0 || config.SERVICE_TOKEN !== undefined || clientCertificates;
  if (!authenticates) refuseUnauthenticatedTls(Boolean(config.GRPC_TLS_CERT_FILE && config.GRPC_TLS_KEY_FILE), config.GRPC_ALLOW_UNAUTHENTICATED);
  return identities;
}
