import type { StepResult } from '../types.js';

/** Ends the run with a failure; `record()` classifies it (classifyFailure) into the outcome. */
export function failed(error: unknown): StepResult {
  return { end: { kind: 'failed', error } };
}

/** A step that adds nothing and lets the run go on. */
export const NOTHING: StepResult = Object.freeze({});
