import { compile } from '@jmespath-community/jmespath';
import type { ResponseMapping } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { MAX_EXPRESSION_LENGTH, MAX_MAPPED_FIELDS, MAX_RESULT_BYTES_CAP, MAX_TEMPLATE_LENGTH } from './limits.js';
import { PARAMETER_NAME_PATTERN } from './validate-parameters.js';
import { compileTextTemplate } from './text-template.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks that every mapped field has a unique identifier name and a JMESPath expression that compiles. */
export function validateResponseMapping(mapping: ResponseMapping | undefined, problems: FieldProblem[]): void {
  if (mapping === undefined) return;
  if (mapping.fields.length > MAX_MAPPED_FIELDS) {
    problems.push({ field: 'response_mapping.fields', message: `must have at most ${MAX_MAPPED_FIELDS} fields` });
  }
  const seen = new Map<string, number>();
  mapping.fields.forEach((f, i) => {
    const at = `response_mapping.fields[${i}]`;
    if (f.name === '') problems.push({ field: `${at}.name`, message: 'must be set' });
    else if (!PARAMETER_NAME_PATTERN.test(f.name)) {
      problems.push({ field: `${at}.name`, message: 'must start with a letter or _ and hold only letters, digits and _ (at most 64)' });
    } else {
      const first = seen.get(f.name);
      if (first === undefined) seen.set(f.name, i);
      else problems.push({ field: `${at}.name`, message: `"${f.name}" is already the name of response_mapping.fields[${first}]` });
    }
    if (f.expression.trim() === '') problems.push({ field: `${at}.expression`, message: 'must be set' });
    else if (f.expression.length > MAX_EXPRESSION_LENGTH) {
      problems.push({ field: `${at}.expression`, message: `must be at most ${MAX_EXPRESSION_LENGTH} characters` });
    } else {
      try {
        compile(f.expression);
      } catch (err) {
        problems.push({ field: `${at}.expression`, message: `is not a valid JMESPath expression: ${message(err)}` });
      }
    }
  });
  if (mapping.summaryTemplate.length > MAX_TEMPLATE_LENGTH) {
    problems.push({ field: 'response_mapping.summary_template', message: `must be at most ${MAX_TEMPLATE_LENGTH} characters` });
  } else {
    try {
      compileTextTemplate(mapping.summaryTemplate);
    } catch (err) {
      problems.push({ field: 'response_mapping.summary_template', message: message(err) });
    }
  }
  if (mapping.maxResultBytes > MAX_RESULT_BYTES_CAP) {
    problems.push({ field: 'response_mapping.max_result_bytes', message: `must be at most ${MAX_RESULT_BYTES_CAP}` });
  }
}
