import { ContextField, ParameterLocation, type Integration } from '@switchboard/contracts';
import { checkArguments, type ArgumentCheck } from '@switchboard/definition';

/**
 * The model's arguments on their way to the wire. Parsing and checking them is @switchboard/definition's
 * one argument checker, the same the registry runs on a definition's sample arguments when it is saved.
 */
export { MAX_ARGUMENTS_BYTES, parseArgumentsJson, type ArgumentCheck } from '@switchboard/definition';

/** One value on its way to the wire: where it goes, under which name, and whether to hide it in logs. */
export interface PlacedValue {
  readonly location: ParameterLocation;
  readonly wireName: string;
  /** The name errors are reported under: the argument the model sent, or the wire name of a system value. */
  readonly field: string;
  readonly value: unknown;
  readonly sensitive: boolean;
}

/** What the executor knows about the call; the source of context values. */
export interface CallContextValues {
  readonly callId?: string;
  readonly callerNumber?: string;
  readonly calledNumber?: string;
  readonly orgId: string;
  readonly orgTimeZone?: string;
}

/**
 * Checks the model's arguments against the parameter schema and applies defaults. Every problem is
 * reported (one per field) with a sentence the model can act on; none quotes a value.
 */
export function validateArguments(integration: Integration, args: unknown): ArgumentCheck {
  return checkArguments(integration, args);
}

/**
 * Turns validated values, fixed values and context values into placed values. System values come
 * last and replace a parameter with the same location and wire name: the trusted value always wins.
 * A context value the call does not know (no call id yet, withheld caller number) is left out.
 */
export function resolvePlacedValues(
  integration: Integration,
  values: Readonly<Record<string, unknown>>,
  context: CallContextValues,
  /** Parameters holding a sensitive call-state value: hidden in logs and audit like sensitive ones. */
  sensitiveNames?: ReadonlySet<string>,
): PlacedValue[] {
  const placed: PlacedValue[] = [];
  for (const param of integration.parameters) {
    if (!Object.hasOwn(values, param.name)) continue;
    const value = values[param.name];
    if (value === undefined) continue;
    const sensitive = param.sensitive || (sensitiveNames !== undefined && sensitiveNames.has(param.name));
    placed.push({ location: param.location, wireName: param.wireName || param.name, field: param.name, value, sensitive });
  }
  for (const fixed of integration.fixedValues) {
    if (fixed.value === undefined) continue;
    placeSystemValue(placed, { location: fixed.location, wireName: fixed.name, field: fixed.name, value: fixed.value as unknown, sensitive: false });
  }
  for (const cv of integration.contextValues) {
    const value = contextValue(cv.source, context);
    if (value === undefined || value === '') continue;
    // The caller's number is personal data: keep it out of logs and audit like a sensitive argument.
    const sensitive = cv.source === ContextField.CONTEXT_FIELD_CALLER_NUMBER;
    placeSystemValue(placed, { location: cv.location, wireName: cv.name, field: cv.name, value, sensitive });
  }
  return placed;
}

function placeSystemValue(placed: PlacedValue[], value: PlacedValue): void {
  for (let i = placed.length - 1; i >= 0; i -= 1) {
    const other = placed[i] as PlacedValue;
    if (other.location === value.location && other.wireName === value.wireName) placed.splice(i, 1);
  }
  placed.push(value);
}

function contextValue(source: ContextField, context: CallContextValues): string | undefined {
  switch (source) {
    case ContextField.CONTEXT_FIELD_CALL_ID:
      return context.callId;
    case ContextField.CONTEXT_FIELD_CALLER_NUMBER:
      return context.callerNumber;
    case ContextField.CONTEXT_FIELD_CALLED_NUMBER:
      return context.calledNumber;
    case ContextField.CONTEXT_FIELD_ORG_ID:
      return context.orgId;
    case ContextField.CONTEXT_FIELD_ORG_TIME_ZONE:
      return context.orgTimeZone;
    default:
      return undefined;
  }
}
