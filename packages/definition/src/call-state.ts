import { DeliveryMode, type Integration, type Parameter } from '@switchboard/contracts';

/** What `from` must look like: the call's state, then a name an export can have. */
export const STATE_SOURCE_PATTERN = /^call\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;

/** Longest verification a verifier may grant (a day); the call state's own TTL may end it sooner. */
export const MAX_VERIFICATION_TTL_SECONDS = 86_400;

/** Exports one definition may declare. */
export const MAX_EXPORTS = 16;

/** One exported value: its state name, the JMESPath over the response body, and whether it is personal data. */
export interface StateExport {
  readonly name: string;
  readonly expression: string;
  readonly sensitive: boolean;
}

/** One parameter filled from the call state instead of the model's arguments. */
export interface StateParameter {
  readonly parameter: Parameter;
  /** The state name after `call.`. */
  readonly stateName: string;
}

/** How a definition uses the call state, worked out once per loaded definition (they are immutable). */
export interface CallStateUse {
  readonly parameters: readonly StateParameter[];
  readonly exports: readonly StateExport[];
  readonly verifier: { readonly level: string; readonly ttlSeconds: number; readonly condition: string } | undefined;
  /** Any of the three: the definition reads or writes the call state. */
  readonly any: boolean;
}

const NONE: CallStateUse = Object.freeze({ parameters: [], exports: [], verifier: undefined, any: false });
const uses = new WeakMap<Integration, CallStateUse>();

/** The state name a parameter takes (`from: call.patient_id` → `patient_id`), or undefined. */
export function stateNameOf(parameter: Parameter): string | undefined {
  if (parameter.from === '') return undefined;
  return STATE_SOURCE_PATTERN.exec(parameter.from)?.[1];
}

/** Whether the model fills this parameter: not when it comes from the call state. */
export function isModelParameter(parameter: Parameter): boolean {
  return parameter.from === '';
}

/**
 * How a definition uses the call state. A definition without `from`, `exports` or `verifies` gets a
 * shared frozen answer (`any: false`) so the executor's hot path pays one WeakMap lookup at most.
 */
export function callStateOf(integration: Integration): CallStateUse {
  const known = uses.get(integration);
  if (known !== undefined) return known;
  const parameters: StateParameter[] = [];
  for (const parameter of integration.parameters) {
    const stateName = stateNameOf(parameter);
    if (stateName !== undefined) parameters.push({ parameter, stateName });
  }
  const mapping = integration.responseMapping;
  const sensitive = new Set(mapping?.sensitiveExports ?? []);
  const exports = Object.entries(mapping?.exports ?? {}).map(([name, expression]) => ({ name, expression, sensitive: sensitive.has(name) }));
  const v = integration.verifies;
  const verifier = v !== undefined && v.level !== '' ? { level: v.level, ttlSeconds: v.ttlSeconds, condition: v.condition } : undefined;
  const use = parameters.length === 0 && exports.length === 0 && verifier === undefined ? NONE : { parameters, exports, verifier, any: true };
  uses.set(integration, use);
  return use;
}

/** Whether the definition's answer reaches the call in time to write state: sync delivery only. */
export function answersDuringCall(integration: Integration): boolean {
  return integration.delivery?.mode !== DeliveryMode.DELIVERY_MODE_ASYNC;
}
