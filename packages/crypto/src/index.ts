export { KeyRing, generateMasterKeyEntry, purposeKeys } from './key-ring.js';
export type { KeyRingEntry, MasterKeySource } from './key-ring.js';
export { sealSecret, openSecret, needsRotation } from './sealed-secret.js';
export { hashToken, timingSafeEqualString } from './token-hash.js';
