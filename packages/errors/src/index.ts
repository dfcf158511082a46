export { SwitchboardError, isSwitchboardError, describeFieldProblems } from './switchboard-error.js';
export type { FieldProblem, SwitchboardErrorOptions } from './switchboard-error.js';
