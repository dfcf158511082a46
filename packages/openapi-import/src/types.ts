import type { Integration } from '@switchboard/contracts';

export interface ImportOptions {
  /** Only these operations: an operationId, the integration key it becomes, or `METHOD /path`. */
  readonly operations?: readonly string[];
  /** Only operations carrying one of these tags. */
  readonly tags?: readonly string[];
  /**
   * The base URL to call instead of the document's first server (a sandbox, or the document's
   * relative server URL when it was read from a file). Relative token URLs resolve against it too.
   */
  readonly serverUrl?: string;
  /**
   * The auth every imported definition gets, instead of what the document's security says: for a
   * document whose schemes are missing, wrong or not supported (OAuth authorizationCode, say).
   */
  readonly auth?: AuthChoice;
}

/**
 * An auth chosen by the integrator. `credentialId` names the credential to use; without it the id
 * comes from the document's scheme name, or the API's title. With only `credentialId` (kind
 * `document`), the document's own auth is kept and only the credential is renamed.
 */
export type AuthChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'document'; readonly credentialId: string }
  | { readonly kind: 'bearer' | 'basic'; readonly credentialId?: string }
  | { readonly kind: 'api_key'; readonly in: 'header' | 'query'; readonly name: string; readonly credentialId?: string }
  | { readonly kind: 'oauth2_client'; readonly tokenUrl: string; readonly scopes?: readonly string[]; readonly credentialId?: string };

/** Something in the document that was not translated, and why. */
export interface SkippedConstruct {
  /** The operation it belongs to: its operationId, or `METHOD /path`; `(document)` for document-wide constructs. */
  readonly operation: string;
  /** What was left out, e.g. `operation`, `callback statusUpdate`, `cookie parameter session`. */
  readonly what: string;
  readonly why: string;
}

export interface ImportResult {
  /** Every definition here passes validateIntegration with no problems. */
  readonly integrations: Integration[];
  /** The same definitions in the friendly document form (integrationToDocument), in the same order. */
  readonly documents: Record<string, unknown>[];
  readonly skipped: SkippedConstruct[];
  /** What the integrator should review or do next (credentials to store, suggested burden levels...). */
  readonly notes: string[];
}
