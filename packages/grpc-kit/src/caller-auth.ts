import type { Metadata } from '@grpc/grpc-js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SwitchboardError } from '@switchboard/errors';
import { tokenVariableOf, type ServiceIdentity } from './service-identities.js';

/** Who made a call, once its credential was checked. */
export type Caller =
  /** No credential on a server that authenticates nobody (local development only). */
  | { readonly kind: 'anonymous' }
  /** The single SERVICE_TOKEN (or, without identities, any client certificate the CA signed): full access, the compatibility mode. */
  | { readonly kind: 'legacy' }
  | { readonly kind: 'service'; readonly identity: ServiceIdentity }
  /** An org API token (`sbt_…`): every method, its own org only. */
  | { readonly kind: 'org'; readonly orgId: string; readonly tokenId: string };

/** What an org token store says about a token: its org, or undefined for an unknown or revoked one. */
export type OrgTokenVerifier = (token: string) => Promise<{ readonly orgId: string; readonly tokenId: string } | undefined>;

export interface CallerAuthOptions {
  /** The compatibility mode's one token with full access (`SERVICE_TOKEN`). */
  readonly legacyToken?: string | undefined;
  readonly identities?: readonly ServiceIdentity[];
  /** Accepts org tokens when set. */
  readonly verifyOrgToken?: OrgTokenVerifier | undefined;
  /** The server requires client certificates signed by its client CA (mutual TLS). */
  readonly clientCertificates?: boolean;
}

/** The part of a call this needs: its metadata and, under TLS, the peer's certificate. */
export interface CallCredentials {
  readonly metadata: Metadata;
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } | undefined;
}

const ORG_TOKEN_PREFIX = 'sbt_';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function notAuthorised(): SwitchboardError {
  // One sentence for a missing, wrong, revoked or unknown credential: a caller learns nothing about which.
  return new SwitchboardError('SERVICE_NOT_AUTHORISED', 'missing or wrong credentials (service token, org token or client certificate)');
}

/**
 * Authentication and authorization of gRPC callers, shared by the registry and the executor:
 * service identities with a method allow-list each, org tokens bound to their org, and the single
 * legacy service token. Tokens are compared by their SHA-256 in constant time, every configured token
 * each time, so timing tells nothing about which one came close.
 */
export class CallerAuth {
  private readonly tokens: { readonly hash: Buffer; readonly caller: Caller }[] = [];
  private readonly byCertificateName = new Map<string, Caller>();

  constructor(private readonly options: CallerAuthOptions) {
    if (options.legacyToken !== undefined) this.tokens.push({ hash: digest(options.legacyToken), caller: { kind: 'legacy' } });
    for (const identity of options.identities ?? []) {
      const caller: Caller = { kind: 'service', identity };
      for (const token of identity.tokens) {
        if (token === options.legacyToken) {
          throw new SwitchboardError('INVALID_CONFIG', `${tokenVariableOf(identity.name)} must differ from SERVICE_TOKEN, which has full access`);
        }
        this.tokens.push({ hash: digest(token), caller });
      }
      if (options.clientCertificates) this.byCertificateName.set(identity.name, caller);
    }
  }

  /** Whether a call without any credential is refused (false only with no token, no identity and no client certificates). */
  get authenticates(): boolean {
    return this.tokens.length > 0 || this.options.clientCertificates === true;
  }

  /** Who made the call; throws SERVICE_NOT_AUTHORISED for a missing or wrong credential. */
  async authenticate(call: CallCredentials): Promise<Caller> {
    const header = call.metadata.get('authorization')[0];
    if (header !== undefined) {
      if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw notAuthorised();
      const token = header.slice(7);
      if (token.startsWith(ORG_TOKEN_PREFIX)) return this.orgCaller(token);
      return this.tokenCaller(token);
    }
    if (this.options.clientCertificates) return this.certificateCaller(call);
    if (this.tokens.length === 0) return { kind: 'anonymous' };
    throw notAuthorised();
  }

  /**
   * Refuses a call its caller may not make: a method outside a service identity's allow-list, or an
   * org token used for another org. The refusal is the same whether or not the other org's thing
   * exists, and it is decided before anything is read.
   */
  authorize(caller: Caller, method: string, orgId: unknown): void {
    if (caller.kind === 'service' && caller.identity.methods !== '*' && !caller.identity.methods.has(method)) {
      throw new SwitchboardError('METHOD_NOT_PERMITTED', `the ${caller.identity.name} service identity may not call ${method}`);
    }
    if (caller.kind === 'org' && orgId !== caller.orgId) {
      throw new SwitchboardError('ORG_NOT_PERMITTED', 'this org token acts only for its own org');
    }
  }

  private async orgCaller(token: string): Promise<Caller> {
    const verify = this.options.verifyOrgToken;
    const info = verify
      ? await verify(token).catch((err: unknown) => {
          throw new SwitchboardError('UNAVAILABLE', 'org tokens cannot be checked right now (their store did not answer); retry', { cause: err });
        })
      : undefined;
    if (!info) throw notAuthorised();
    return { kind: 'org', orgId: info.orgId, tokenId: info.tokenId };
  }

  private tokenCaller(token: string): Caller {
    const given = digest(token);
    let found: Caller | undefined;
    for (const t of this.tokens) {
      if (timingSafeEqual(given, t.hash) && found === undefined) found = t.caller;
    }
    if (!found) throw notAuthorised();
    return found;
  }

  /**
   * Under mutual TLS the channel already proved the certificate was signed by the client CA. With
   * service identities, its subject CN must name one; without them, any such certificate has full
   * access unless SERVICE_TOKEN is set too (the compatibility mode mutual TLS always had).
   */
  private certificateCaller(call: CallCredentials): Caller {
    const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (name === undefined) throw notAuthorised();
    if ((this.options.identities ?? []).length === 0) {
      // As before identities existed: with SERVICE_TOKEN set, the token is required on top of the certificate.
      if (this.options.legacyToken !== undefined) throw notAuthorised();
      return { kind: 'legacy' };
    }
    const caller = this.byCertificateName.get(name);
    if (!caller) throw notAuthorised();
    return caller;
  }
}
