import type { IncomingHttpHeaders } from 'node:http';
import type { CallContext } from '@switchboard/contracts';
import { SwitchboardError, type FieldProblem } from '@switchboard/errors';
import { z } from 'zod';

/** The `_meta` key of a tools/call that carries the live call's context. */
export const CONTEXT_META_KEY = 'switchboard/context';

/**
 * HTTP headers for the parts of the context that last the whole phone call, so a runtime can set them
 * once on its MCP connection. Per-turn parts (caller request, confirmation token) go in `_meta` only.
 */
export const CONTEXT_HEADERS = {
  callId: 'x-switchboard-call-id',
  callerNumber: 'x-switchboard-caller-number',
  calledNumber: 'x-switchboard-called-number',
  orgTimeZone: 'x-switchboard-org-time-zone',
  verificationMethod: 'x-switchboard-verification-method',
  verificationReference: 'x-switchboard-verification-reference',
} as const;

/** Printable text without control characters (these values end up in audit lines and upstream headers). */
const text = (max: number) => z.string().max(max).regex(/^[^\p{Cc}]*$/u, 'must not hold control characters');

const verificationSchema = z.strictObject({ method: text(64).min(1), reference: text(256).default('') });
const callerRequestSchema = z.strictObject({ asked: z.boolean(), utterance: text(1_000).default(''), turnRef: text(128).default('') });

const contextSchema = z.strictObject({
  callId: text(128).optional(),
  callerNumber: text(32).optional(),
  calledNumber: text(32).optional(),
  orgTimeZone: text(64).optional(),
  verification: verificationSchema.optional(),
  callerRequest: callerRequestSchema.optional(),
  confirmationToken: text(512).optional(),
});

type ContextInput = z.output<typeof contextSchema>;

/** What a tools/call tells the executor about the phone call it belongs to. */
export interface ToolCallContext {
  readonly callId: string;
  readonly context: CallContext;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fromHeaders(headers: IncomingHttpHeaders): unknown {
  const method = header(headers, CONTEXT_HEADERS.verificationMethod);
  const reference = header(headers, CONTEXT_HEADERS.verificationReference);
  return {
    callId: header(headers, CONTEXT_HEADERS.callId),
    callerNumber: header(headers, CONTEXT_HEADERS.callerNumber),
    calledNumber: header(headers, CONTEXT_HEADERS.calledNumber),
    orgTimeZone: header(headers, CONTEXT_HEADERS.orgTimeZone),
    verification: method === undefined && reference === undefined ? undefined : { method: method ?? '', reference },
  };
}

function parse(source: string, value: unknown): ContextInput {
  const parsed = contextSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = parsed.error.issues.map((issue) => ({
    field: [source, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new SwitchboardError('INVALID_CALL_CONTEXT', `the call context is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, {
    fieldErrors: problems,
  });
}

/**
 * The call context of one tools/call: the connection's X-Switchboard-* headers, overridden field by
 * field by `_meta["switchboard/context"]`. Values are checked for shape only: the executor's gate
 * decides what they are worth.
 */
export function callContextOf(headers: IncomingHttpHeaders, meta: Record<string, unknown> | undefined): ToolCallContext {
  const base = parse('headers', fromHeaders(headers));
  const raw = meta?.[CONTEXT_META_KEY];
  const own = raw === undefined ? {} : parse(`_meta.${CONTEXT_META_KEY}`, raw);
  const merged: ContextInput = { ...base, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
  return {
    callId: merged.callId ?? '',
    context: {
      callerNumber: merged.callerNumber ?? '',
      calledNumber: merged.calledNumber ?? '',
      orgTimeZone: merged.orgTimeZone ?? '',
      callerRequest: merged.callerRequest,
      verification: merged.verification,
      confirmationToken: merged.confirmationToken ?? '',
    },
  };
}
