import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isSwitchboardError, reasonEntry, type FieldProblem, type Reason } from '@switchboard/errors';

/** Metadata keys on errors: the stable reason code and, for INVALID_ARGUMENT, the offending fields. */
export const REASON_METADATA_KEY = 'x-switchboard-reason';
export const FIELD_ERRORS_METADATA_KEY = 'x-switchboard-field-errors';

/** A reason's gRPC status, from the catalogue. */
export function statusOfReason(reason: Reason): status {
  return status[reasonEntry(reason).grpc];
}

/**
 * Bounds of what an error carries in its headers. Its texts can quote the caller's own input (a field
 * name from a definition, a sample argument's key), and every client refuses a response whose headers
 * pass its limit (grpc-js: 8 KiB of metadata by default), which the caller would see as INTERNAL.
 */
const DETAILS_MAX_CHARS = 2_048;
const FIELD_ERRORS_MAX_CHARS = 4_096;
const FIELD_TEXT_MAX_CHARS = 256;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Lone surrogates (from the caller's own input, or a cut pair) as U+FFFD: grpc-js's encodeURI of the details throws on them. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * JSON of the field problems as a metadata value can carry it: printable ASCII only (grpc-js throws on
 * anything else, which would take the process down), every non-ASCII character escaped the JSON way so
 * the text parses back to the same strings, and as many problems as fit the budget, the rest counted.
 */
export function fieldErrorsHeader(problems: readonly FieldProblem[]): string {
  const ascii = (json: string) => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const kept: string[] = [];
  let size = 2;
  for (const [i, p] of problems.entries()) {
    const entry = ascii(JSON.stringify({ field: clip(p.field, FIELD_TEXT_MAX_CHARS), message: clip(p.message, FIELD_TEXT_MAX_CHARS) }));
    // Room for this entry and, if more follow, the note that counts them.
    if (size + entry.length + 1 + (i < problems.length - 1 ? 80 : 0) > FIELD_ERRORS_MAX_CHARS) {
      kept.push(JSON.stringify({ field: '(more)', message: `${problems.length - i} more problems not listed` }));
      break;
    }
    kept.push(entry);
    size += entry.length + 1;
  }
  return `[${kept.join(',')}]`;
}

/** A refusal made before any handler ran (draining, a wrong service token), with its reason attached. */
export function refusal(reason: Reason, details: string): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(REASON_METADATA_KEY, reason);
  return { code: statusOfReason(reason), details: wellFormed(clip(details, DETAILS_MAX_CHARS)), metadata };
}

/**
 * Turns anything a handler threw into a gRPC error. A SwitchboardError keeps its message (written to
 * be shown) and reason; anything else becomes INTERNAL with a generic sentence, because an unexpected
 * error's text may hold details nobody outside should read.
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (!isSwitchboardError(err)) return refusal('INTERNAL', 'internal error; see the service log');
  const mapped = refusal(err.reason, err.message);
  if (err.fieldErrors.length > 0) mapped.metadata!.set(FIELD_ERRORS_METADATA_KEY, fieldErrorsHeader(err.fieldErrors));
  for (const [key, value] of Object.entries(err.metadata)) mapped.metadata!.set(key, value);
  return mapped;
}

/** Reads the field problems a Switchboard service attached to an error (for CLIs and consoles). */
export function fieldErrorsOf(err: { metadata?: Metadata }): FieldProblem[] {
  const raw = err.metadata?.get(FIELD_ERRORS_METADATA_KEY)[0];
  if (typeof raw !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as FieldProblem[]) : [];
  } catch {
    return [];
  }
}

export function reasonOf(err: { metadata?: Metadata }): string | undefined {
  const raw = err.metadata?.get(REASON_METADATA_KEY)[0];
  return typeof raw === 'string' ? raw : undefined;
}
