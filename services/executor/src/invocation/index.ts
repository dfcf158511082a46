// The invoke path as named steps: resolve → arguments → gate → cache → build → enqueue → authenticate → limit → send → map, then record.
export { Invoker, run, STEPS } from './run.js';
export { record } from './record.js';
export { LIVE, TEST } from './mode.js';
export type { InvocationMode } from './mode.js';
export type {
  After,
  Ending,
  Facts,
  InvocationContext,
  InvocationDeps,
  InvocationInput,
  InvocationResult,
  Step,
  StepResult,
  TestPool,
} from './types.js';
