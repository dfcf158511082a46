/** What the store keeps about a token: never the token itself. */
export interface OrgTokenInfo {
  /** Public id (a prefix of the hash): shown in lists, used to revoke. */
  readonly tokenId: string;
  readonly orgId: string;
  /** A label chosen by whoever created it, e.g. "console" or "ci". */
  readonly name: string;
  readonly createdAt: string;
}

/** The answer to `create`: the token value, shown once, and what is stored about it. */
export interface CreatedOrgToken {
  readonly token: string;
  readonly info: OrgTokenInfo;
}

export interface OpenOrgTokenStoreOptions {
  /** Bucket name override (tests use their own). */
  readonly bucket?: string;
  readonly replicas?: number;
}
