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

/** Where the CLI looks for each service, to name the one that did not answer and the flag that moves it. */
export interface ServiceAddresses {
  readonly registry: string;
  readonly executor: string;
}

function unreachable(details: string, addresses: ServiceAddresses | undefined): string {
  if (addresses !== undefined) {
    for (const [service, flag, env] of [['registry', '--registry', 'SWITCHBOARD_REGISTRY'], ['executor', '--executor', 'SWITCHBOARD_EXECUTOR']] as const) {
      const address = addresses[service];
      if (details.includes(address)) {
        return `cannot reach the ${service} at ${address} (${details}): is it running? (\`npx -y pnpm@10.34.9 demo\` starts everything); point the CLI elsewhere with ${flag} <host:port> or ${env}`;
      }
    }
  }
  return `cannot reach a Switchboard service (${details}): is it running? The CLI looks for the registry at --registry (SWITCHBOARD_REGISTRY) and the executor at --executor (SWITCHBOARD_EXECUTOR)`;
}

/** One readable block for any error: the service's sentence, then every offending field. */
export function describeError(err: unknown, addresses?: ServiceAddresses): string {
  if (err instanceof UsageError) return err.message;
  if (isSwitchboardError(err)) {
    return [err.message, ...err.fieldErrors.map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  }
  if (isServiceError(err)) {
    const failure = fromServiceError(err);
    const fields = failure.fieldErrors;
    const head = failure.reason === 'SERVICE_UNAVAILABLE' ? unreachable(err.details, addresses) : withoutFieldList(failure.message, fields);
    return [`${head} [${failure.reason}]`, ...fields.map((f) => `  ${f.field}: ${f.message}`)].join('\n');
  }
  return err instanceof Error ? err.message : String(err);
}
