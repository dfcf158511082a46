import { fieldErrorsOf, reasonOf } from '@switchboard/grpc-kit';
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
  if (typeof err === 'object' && err !== null && 'code' in err && 'details' in err) {
    const e = err as { details: string; code: number };
    const fields = fieldErrorsOf(err as Parameters<typeof fieldErrorsOf>[0]);
    const reason = reasonOf(err as Parameters<typeof reasonOf>[0]);
    const head = e.code === 14 ? `cannot reach the service (${e.details}); is it running?` : withoutFieldList(e.details, fields);
    return [reason ? `${head} [${reason}]` : head, ...fields.map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  }
  return err instanceof Error ? err.message : String(err);
}
