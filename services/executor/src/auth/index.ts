export { applyAuth, DEFAULT_API_KEY_NAME } from './apply-auth.js';
export { AUTH_FAILED } from './auth-failed.js';
export { keyRingSealer } from './key-ring-sealer.js';
export { OAuthTokenProvider } from './oauth-token-provider.js';
export type { OAuthTokenProviderOptions } from './oauth-token-provider.js';
export type {
  CredentialSource,
  OAuthTokenKey,
  OAuthTokenStats,
  PermanentFailureInfo,
  PermanentFailureReason,
  ResolvedCredential,
  TokenSealer,
  TokenSource,
} from './types.js';
