// The public surface of @switchboard/org-tokens.
export { OrgTokenStore, ORG_TOKENS_BUCKET } from './org-token-store.js';
export { TOKEN_PREFIX } from './token-format.js';
export type { CreatedOrgToken, OpenOrgTokenStoreOptions, OrgTokenInfo } from './types.js';
export { FailureThrottle, throttleRedis, tokenPrefixOf } from './failure-throttle.js';
export type { FailureThrottleOptions } from './failure-throttle.js';
