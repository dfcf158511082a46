import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { buildConnector, errors } from 'undici';
import {
  classifyAddress,
  isHostAllowListed,
  parseHostAddress,
  type EgressPolicy,
  type IpAddress,
} from './address-policy.js';
import { EgressBlockedError } from './egress-blocked-error.js';
import { settleWithin } from '../settle-within.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has; injected in tests so no real DNS is asked. */
export type HostLookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** TLS settings passed through to every connection, e.g. a private CA or a client certificate for mutual TLS. */
export type GuardedTlsOptions = Pick<
  ConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'crl'
  | 'ciphers'
  | 'minVersion'
  | 'maxVersion'
  | 'rejectUnauthorized'
  | 'checkServerIdentity'
>;

export interface GuardedConnectorOptions {
  readonly policy: EgressPolicy;
  /** Budget for the DNS lookup and, separately, for the TCP and TLS handshake. */
  readonly connectTimeoutMs: number;
  readonly lookup?: HostLookup;
  readonly tls?: GuardedTlsOptions;
}

type CallbackArgs = Parameters<buildConnector.Callback>;

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

// Failures that say "not this address" quickly; a timeout is not one, or a dead host would cost
// one full timeout per address.
const TRY_NEXT_ADDRESS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);

/**
 * An undici connector that checks every destination against the egress policy before a socket
 * exists. Host names are resolved here, once, and the socket is opened to the very address that
 * was checked (SNI and certificate checks still use the name), so a second lookup cannot rebind it.
 * Use as `new Agent({ connect: createGuardedConnector(...) })`.
 */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const { policy, connectTimeoutMs } = options;
  const lookup = options.lookup ?? systemLookup;
  const inner = buildConnector({ ...options.tls, timeout: connectTimeoutMs });

  async function resolveChecked(hostname: string, port: number): Promise<string[]> {
    const answers = await settleWithin(
      lookup(hostname),
      connectTimeoutMs,
      () => new errors.ConnectTimeoutError(`resolving ${hostname} took longer than ${connectTimeoutMs} ms`),
    );
    if (answers.length === 0) throw notFound(hostname);
    const trustedName = isHostAllowListed(hostname, policy, port);
    const targets: string[] = [];
    for (const answer of answers) {
      const address = isIP(answer.address) === 0 ? undefined : parseHostAddress(answer.address);
      if (address === undefined) {
        throw new EgressBlockedError(
          hostname,
          { range: 'unrecognized', reason: `the resolver answered ${JSON.stringify(answer.address)}, not an IP address` },
          false,
        );
      }
      if (!trustedName) {
        const verdict = classifyAddress(address, policy, port);
        if (!verdict.allowed) throw new EgressBlockedError(hostname, verdict, false, port);
      }
      targets.push(socketHost(address));
    }
    return targets;
  }

  function connectInOrder(
    opts: buildConnector.Options,
    targets: readonly string[],
    index: number,
    callback: buildConnector.Callback,
  ): void {
    const target = targets[index];
    if (target === undefined) {
      callback(notFound(opts.hostname), null);
      return;
    }
    inner({ ...opts, hostname: target }, (...args: CallbackArgs) => {
      const [err] = args;
      if (err !== null && index + 1 < targets.length && TRY_NEXT_ADDRESS.has(errorCode(err))) {
        connectInOrder(opts, targets, index + 1, callback);
        return;
      }
      callback(...args);
    });
  }

  return function guardedConnect(opts, callback) {
    // Every connection is judged with its own port, so a redirect to another port of an allowed host
    // is checked like any other destination.
    const port = effectivePort(opts);
    const literal = parseHostAddress(opts.hostname);
    if (literal !== undefined) {
      // Node skips `lookup` for IP literals, so they are judged here, never by a lookup hook.
      const verdict = classifyAddress(literal, policy, port);
      if (!verdict.allowed) {
        callback(new EgressBlockedError(opts.hostname, verdict, true, port), null);
        return;
      }
      inner({ ...opts, hostname: socketHost(literal) }, callback);
      return;
    }
    const hostname = opts.hostname;
    const servername = opts.servername !== undefined && opts.servername !== '' ? opts.servername : hostname;
    resolveChecked(hostname, port).then(
      (targets) => {
        try {
          connectInOrder({ ...opts, servername }, targets, 0, callback);
        } catch (err) {
          callback(toError(err), null);
        }
      },
      (err: unknown) => callback(toError(err), null),
    );
  };
}

/** The port the socket will connect to: the URL's, or its scheme's default. */
function effectivePort(opts: buildConnector.Options): number {
  const explicit = Number(opts.port);
  if (Number.isInteger(explicit) && explicit > 0) return explicit;
  return opts.protocol === 'https:' ? 443 : 80;
}

/** The address exactly as checked, in the form `net.connect` takes without a lookup. */
function socketHost(address: IpAddress): string {
  return address.toString();
}

function notFound(hostname: string): Error {
  // Shaped like Node's own resolver failure so callers map both the same way.
  return Object.assign(new Error(`${hostname} did not resolve to any address`), { code: 'ENOTFOUND', hostname });
}

function errorCode(err: Error): string {
  return 'code' in err && typeof err.code === 'string' ? err.code : '';
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
