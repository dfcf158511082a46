export { canonicalJson, canonicalHash } from './canonical-json.js';
export { ConfirmationTokens } from './confirmation-tokens.js';
export { confirmationSecrets, CONFIRMATION_KEY_PURPOSE } from './confirmation-secrets.js';
export type { ConfirmationSecrets } from './confirmation-secrets.js';
export type {
  ConfirmationTokensOptions,
  ConfirmationBinding,
  IssuedConfirmation,
  RedeemFailure,
  RedeemResult,
} from './confirmation-tokens.js';
export { BurdenGate } from './burden-gate.js';
export type {
  BurdenGateOptions,
  GateInput,
  GateAllow,
  GateBlock,
  GateResult,
  GateDecisionName,
} from './burden-gate.js';
