import { compile } from '@jmespath-community/jmespath';
import { CachePolicy, type Integration, type Parameter } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { answersDuringCall, MAX_EXPORTS, MAX_VERIFICATION_TTL_SECONDS, STATE_SOURCE_PATTERN } from './call-state.js';
import { MAX_EXPRESSION_LENGTH } from './limits.js';
import { PARAMETER_NAME_PATTERN } from './validate-parameters.js';
import { VERIFICATION_METHOD_PATTERN } from './validate-speech.js';

function expressionProblem(expression: string): string | undefined {
  if (expression.trim() === '') return 'must be a JMESPath expression over the response body, e.g. patients[0].id';
  if (expression.length > MAX_EXPRESSION_LENGTH) return `must be at most ${MAX_EXPRESSION_LENGTH} characters`;
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return `is not a valid JMESPath expression: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Nested parameters are parts of one argument's value: only a whole top-level parameter can come from the state. */
function refuseNestedFrom(parameter: Parameter, at: string, problems: FieldProblem[]): void {
  if (parameter.items !== undefined) {
    if (parameter.items.from !== '') problems.push({ field: `${at}.items.from`, message: 'applies to top-level parameters only' });
    refuseNestedFrom(parameter.items, `${at}.items`, problems);
  }
  parameter.properties.forEach((p, i) => {
    if (p.from !== '') problems.push({ field: `${at}.properties[${i}].from`, message: 'applies to top-level parameters only' });
    refuseNestedFrom(p, `${at}.properties[${i}]`, problems);
  });
}

function cacheIsOn(cache: CachePolicy | undefined): boolean {
  return cache !== undefined && cache.ttlSeconds > 0;
}

/**
 * Call state: parameters `from: call.<name>`, `response_mapping.exports` and `sensitive_exports`, and
 * `verifies`. Names are checked here; whether another definition of the org exports a name is not
 * (definitions are saved one at a time, in any order): a call that reaches it without the value gets
 * OUTCOME_CALL_STATE_MISSING naming the exporters.
 */
export function validateCallState(integration: Integration, problems: FieldProblem[]): void {
  integration.parameters.forEach((p, i) => {
    const at = `parameters[${i}]`;
    refuseNestedFrom(p, at, problems);
    if (p.from === '') return;
    if (!STATE_SOURCE_PATTERN.test(p.from)) {
      problems.push({ field: `${at}.from`, message: 'must be call.<name>, the name an earlier integration exports (e.g. call.patient_id)' });
    }
    if (p.defaultValue !== undefined && p.defaultValue !== null) {
      problems.push({ field: `${at}.default_value`, message: 'does not apply: the value comes from the call state (from)' });
    }
  });

  const mapping = integration.responseMapping;
  const exportNames = Object.keys(mapping?.exports ?? {});
  const writes = exportNames.length > 0;
  if (exportNames.length > MAX_EXPORTS) problems.push({ field: 'response_mapping.exports', message: `must have at most ${MAX_EXPORTS} names` });
  for (const name of exportNames) {
    const at = `response_mapping.exports.${name}`;
    if (!PARAMETER_NAME_PATTERN.test(name)) {
      problems.push({ field: at, message: 'the name must start with a letter or _ and hold only letters, digits and _ (at most 64)' });
    }
    const problem = expressionProblem(mapping?.exports[name] ?? '');
    if (problem !== undefined) problems.push({ field: at, message: problem });
  }
  const exported = new Set(exportNames);
  (mapping?.sensitiveExports ?? []).forEach((name, i) => {
    if (!exported.has(name)) {
      problems.push({ field: `response_mapping.sensitive_exports[${i}]`, message: `"${name}" is not one of response_mapping.exports` });
    }
  });

  const v = integration.verifies;
  const verifies = v !== undefined && (v.level !== '' || v.ttlSeconds !== 0 || v.condition !== '');
  if (v !== undefined && verifies) {
    if (!VERIFICATION_METHOD_PATTERN.test(v.level)) {
      problems.push({ field: 'verifies.level', message: 'must be a verification level such as dob or otp (letters, digits, _ . : -)' });
    }
    if (v.ttlSeconds === 0 || v.ttlSeconds > MAX_VERIFICATION_TTL_SECONDS) {
      problems.push({ field: 'verifies.ttl_seconds', message: `must be 1 to ${MAX_VERIFICATION_TTL_SECONDS} (how long the verification holds)` });
    }
    if (v.condition !== '') {
      const problem = expressionProblem(v.condition);
      if (problem !== undefined) problems.push({ field: 'verifies.condition', message: problem });
    }
  }

  // State is written from the upstream's answer, during the call.
  for (const [on, field] of [[writes, 'response_mapping.exports'], [verifies, 'verifies']] as const) {
    if (!on) continue;
    if (!answersDuringCall(integration)) problems.push({ field, message: 'does not apply to async delivery: its answer comes after the call' });
    if (cacheIsOn(integration.cache)) problems.push({ field, message: 'does not apply with cache: a cached answer would write no state' });
  }
}
