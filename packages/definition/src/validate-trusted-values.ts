import { ContextField, ParameterLocation, type Integration } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { headerValueProblem, scalarHeaderText } from './header-value.js';
import { CONTEXT_FIELD_NAMES, PARAMETER_LOCATION_NAMES, isKnownEnumValue } from './enum-names.js';
import { MAX_WIRE_NAME_LENGTH } from './limits.js';
import { isPlainObject } from './parameter-value.js';

function checkName(name: string, field: string, problems: FieldProblem[]): void {
  if (name === '') problems.push({ field, message: 'must be set' });
  else if (name.length > MAX_WIRE_NAME_LENGTH) problems.push({ field, message: `must be at most ${MAX_WIRE_NAME_LENGTH} characters` });
  else if (name.trim() !== name) problems.push({ field, message: 'must not start or end with spaces' });
}

function checkLocation(location: ParameterLocation, field: string, problems: FieldProblem[]): void {
  if (location === ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED || !isKnownEnumValue(PARAMETER_LOCATION_NAMES, location)) {
    problems.push({ field, message: `must be ${PARAMETER_LOCATION_NAMES.choices}` });
  }
}

/** Fixed and call-context values: the trusted values the model neither sees nor supplies. */
export function validateTrustedValues(integration: Integration, problems: FieldProblem[]): void {
  integration.fixedValues.forEach((v, i) => {
    const at = `fixed_values[${i}]`;
    checkName(v.name, `${at}.name`, problems);
    checkLocation(v.location, `${at}.location`, problems);
    const value: unknown = v.value;
    if (value === undefined || value === null) {
      problems.push({ field: `${at}.value`, message: 'must be set' });
    } else if (v.location !== ParameterLocation.PARAMETER_LOCATION_BODY && (Array.isArray(value) || isPlainObject(value))) {
      problems.push({ field: `${at}.value`, message: 'must be a string, number or boolean outside the body' });
    } else if (v.location === ParameterLocation.PARAMETER_LOCATION_HEADER) {
      // Refused here rather than on every call, where the error would blame the caller's arguments.
      const problem = headerValueProblem(scalarHeaderText(value) ?? '');
      if (problem !== undefined) problems.push({ field: `${at}.value`, message: problem });
    }
  });
  integration.contextValues.forEach((v, i) => {
    const at = `context_values[${i}]`;
    checkName(v.name, `${at}.name`, problems);
    checkLocation(v.location, `${at}.location`, problems);
    if (v.source === ContextField.CONTEXT_FIELD_UNSPECIFIED || !isKnownEnumValue(CONTEXT_FIELD_NAMES, v.source)) {
      problems.push({ field: `${at}.source`, message: `must be ${CONTEXT_FIELD_NAMES.choices}` });
    }
  });
}
