export { SwitchboardError, isSwitchboardError, describeFieldProblems } from './switchboard-error.js';
export type { FieldProblem, SwitchboardErrorOptions } from './switchboard-error.js';
export { REASONS, countsAgainstUpstream, isReason, isTransient, reasonEntry } from './reasons.js';
export type { Reason, ReasonEntry, OutcomeName, GrpcStatusName } from './reasons.js';
export { renderReasonTable } from './reason-table.js';
