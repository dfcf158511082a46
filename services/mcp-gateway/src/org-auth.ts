import type { OrgTokenInfo } from '@switchboard/org-tokens';

/** Who a request acts for: decided by its org token, never by anything else it says. */
export interface OrgPrincipal {
  readonly orgId: string;
  /** The token's public id (a hash prefix), safe to log. */
  readonly tokenId: string;
}

/** The part of OrgTokenStore the gateway needs. */
export interface TokenVerifier {
  verify(token: string): Promise<OrgTokenInfo | undefined>;
}

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/** The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length > 512) return undefined;
  return BEARER.exec(authorization)?.[1];
}

/**
 * The org a request acts for, or undefined when its token is missing, malformed, unknown or revoked,
 * or when the path names another org than the token's. Every refusal looks the same to the caller.
 * A failing token store (NATS down) throws: that is not the caller's fault.
 */
export async function authenticate(
  verifier: TokenVerifier,
  authorization: string | undefined,
  pathOrgId: string | undefined,
): Promise<OrgPrincipal | undefined> {
  const token = bearerTokenOf(authorization);
  if (token === undefined) return undefined;
  const info = await verifier.verify(token);
  if (info === undefined) return undefined;
  if (pathOrgId !== undefined && pathOrgId !== info.orgId) return undefined;
  return { orgId: info.orgId, tokenId: info.tokenId };
}
