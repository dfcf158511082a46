import { describe, expect, it } from 'vitest';
import { BurdenLevel, CallContext, ContextField, DeliveryMode, HttpMethod, Integration, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { isPrefetchable } from './ambient-prefetch.js';

const CALL = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function ambient(partial: Record<string, unknown> = {}): Integration {
  return Integration.fromJSON({
    key: 'profile',
    name: 'Caller profile',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_GET,
    burden: { level: BurdenLevel.BURDEN_LEVEL_AMBIENT },
    contextValues: [{ name: 'phone', location: ParameterLocation.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
    ...partial,
  });
}

const context = CallContext.fromPartial({ callerNumber: '+14155550123' });

describe('isPrefetchable', () => {
  it('takes an enabled ambient lookup the call context can fill', () => {
    expect(isPrefetchable(ambient(), CALL, context)).toBe(true);
    // A required parameter with a default, or an optional one, needs nothing from the model.
    const params = [
      { name: 'days', type: ParameterType.PARAMETER_TYPE_INTEGER, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true, defaultValue: 7 },
      { name: 'note', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY },
    ];
    expect(isPrefetchable(ambient({ parameters: params }), CALL, context)).toBe(true);
  });

  it('leaves out what the model or the call would have to supply, and what is not ambient', () => {
    const required = [{ name: 'patient_id', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }];
    expect(isPrefetchable(ambient({ parameters: required }), CALL, context)).toBe(false);
    expect(isPrefetchable(ambient(), CALL, CallContext.fromPartial({}))).toBe(false);
    expect(isPrefetchable(ambient(), CALL, undefined)).toBe(false);
    const byCall = [{ name: 'call', location: ParameterLocation.PARAMETER_LOCATION_QUERY, source: ContextField.CONTEXT_FIELD_CALL_ID }];
    expect(isPrefetchable(ambient({ contextValues: byCall }), '', context)).toBe(false);
    expect(isPrefetchable(ambient({ contextValues: byCall }), CALL, context)).toBe(true);
    expect(isPrefetchable(ambient({ burden: { level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL } }), CALL, context)).toBe(false);
    expect(isPrefetchable(ambient({ burden: {} }), CALL, context)).toBe(false);
    expect(isPrefetchable(ambient({ enabled: false }), CALL, context)).toBe(false);
    expect(isPrefetchable(ambient({ delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC } }), CALL, context)).toBe(false);
  });
});
