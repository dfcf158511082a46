// Call state (issue 27): values integrations export for later ones in the same call, and the call's
// server-side verification; see call-state-store.ts and ../invocation/steps/call-state.ts.
export { CallStateStore, StateSnapshot } from './call-state-store.js';
export type { CallStateSettings, CallStateStats, StateValue, StateWrite } from './call-state-store.js';
export { exportedValues, verifierPassed, hideValues, type ExportedValue } from './exports.js';
