export {
  classifyAddress,
  createEgressPolicy,
  isHostAllowListed,
  parseHostAddress,
} from './address-policy.js';
export type { AddressVerdict, EgressPolicy, IpAddress } from './address-policy.js';
export { embeddedIpv4 } from './embedded-ipv4.js';
export type { EmbeddedIpv4, Ipv4Embedding } from './embedded-ipv4.js';
export {
  EGRESS_ALLOW_SETTING,
  EGRESS_BLOCKED,
  EgressBlockedError,
  findEgressBlockedError,
  isEgressBlockedError,
} from './egress-blocked-error.js';
export { createGuardedConnector } from './guarded-connector.js';
export type {
  GuardedConnectorOptions,
  GuardedTlsOptions,
  HostLookup,
  ResolvedAddress,
} from './guarded-connector.js';
