import { fromServiceError, isServiceError } from '@switchboard/client';
import { isSwitchboardError } from '@switchboard/errors';

/** Thrown by commands for a problem the user must fix; printed without a stack trace. */
export class UsageError extends Error {}

/**
 * The status text without the field list it ends with ("integration x is invalid: a: ...; b: ..."):
 * the fields are printed one per line below it.
 */
function withoutFieldList(details: string, fields: readonly { field: string }[]): string {
  const first = fields[0];
  if (!first) return details;
  const at = details.indexOf(`: ${first.field}: `);
  return at > 0 ? details.slice(0, at) : details;
}

/** One readable block for any error: the service's sentence, then every offending field. */
export function describeError(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  if (isSwitchboardError(err)) {
    return [err.message, ...err.fieldErrors.map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  }
  if (isServiceError(err)) {
    const failure = fromServiceError(err);
    const fields = failure.fieldErrors;
    const head = failure.reason === 'SERVICE_UNAVAILABLE' ? `cannot reach the service (${err.details}); is it running?` : withoutFieldList(failure.message, fields);
    return [`${head} [${failure.reason}]`, ...fields.map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  }
  return err instanceof Error ? err.message : String(err);
}
