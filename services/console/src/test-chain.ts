import type { Integration } from '@switchboard/contracts';
import { stateNameOf } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';

/**
 * A Test chain (lookup → booking) in the Test panel. Test reads no call state (it has no call), and a
 * `from: call.<name>` parameter takes the Test's own argument of that name; the panel carries what
 * earlier Tests exported (`state`, name → value, non-sensitive values only: a sensitive one never
 * leaves the executor) and this puts each into the argument of the parameter that takes it, unless the
 * arguments already give one.
 */
export function withCarriedState(integration: Integration, argumentsJson: string, stateText: string): string {
  if (stateText.trim() === '') return argumentsJson;
  const carried = jsonObjectOf(stateText, 'state', 'the carried call state', 'a JSON object of state names and values');
  // No arguments means the definition's samples, as Test itself would use them.
  const args = (argumentsJson === '' ? { ...(integration.sampleArguments ?? {}) } : JSON.parse(argumentsJson)) as Record<string, unknown>;
  let changed = false;
  for (const parameter of integration.parameters) {
    const name = stateNameOf(parameter);
    if (name === undefined || !Object.hasOwn(carried, name) || Object.hasOwn(args, parameter.name)) continue;
    Object.defineProperty(args, parameter.name, { value: carried[name], enumerable: true, writable: true, configurable: true });
    changed = true;
  }
  return changed ? JSON.stringify(args) : argumentsJson;
}

/** A request field that must hold a JSON object, or INVALID_REQUEST naming the field. */
export function jsonObjectOf(text: string, field: string, what: string, shape: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SwitchboardError('INVALID_REQUEST', `${what} must be a JSON object`, { fieldErrors: [{ field, message: `must be ${shape}` }] });
  }
  return parsed as Record<string, unknown>;
}
