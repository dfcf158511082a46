import type { Command } from 'commander';
import { DeliveryClient } from '@switchboard/client';
import { outcomeToJSON, type Delivery } from '@switchboard/contracts';
import { executorTargets, withClient, type GlobalOptions, type Print } from './connection.js';
import { UsageError } from './errors.js';

export interface DeliveriesListFlags {
  readonly failed?: boolean;
  readonly tool?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

function withDeliveries<T>(g: GlobalOptions, run: (c: DeliveryClient) => Promise<T>): Promise<T> {
  return withClient(new DeliveryClient(executorTargets(g)), run);
}

function time(d: Date | undefined): string {
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

function asJson(d: Delivery): Record<string, unknown> {
  return {
    deliveryId: d.deliveryId,
    toolKey: d.toolKey,
    callId: d.callId,
    acceptedAt: d.acceptedAt?.toISOString(),
    failedAt: d.failedAt?.toISOString(),
    attempts: d.attempts,
    requeues: d.requeues,
    lastOutcome: outcomeToJSON(d.lastOutcome),
    lastReason: d.lastReason,
    lastHttpStatus: d.lastHttpStatus,
    lastError: d.lastError,
    integrationRevision: d.integrationRevision,
  };
}

/** `switchboard deliveries list --failed`: the org's dead letters, newest first, with what went wrong last. */
export async function deliveriesListCommand(g: GlobalOptions, flags: DeliveriesListFlags, print: Print): Promise<void> {
  if (!flags.failed) {
    throw new UsageError('say --failed: the dead letters are what is listed; deliveries on their way are in the audit trail (switchboard audit)');
  }
  const limit = flags.limit === undefined ? 0 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number');
  const deliveries = await withDeliveries(g, (c) => c.listFailed(g.org, flags.tool ?? '', limit));
  if (flags.json) {
    print(JSON.stringify(deliveries.map(asJson), null, 2));
    return;
  }
  if (deliveries.length === 0) {
    print(`no failed deliveries in org ${g.org}`);
    return;
  }
  print(['failed (UTC)'.padEnd(21), 'delivery id'.padEnd(36), 'tool'.padEnd(28), 'tries'.padStart(5), '  last'].join(' '));
  for (const d of deliveries) {
    print([time(d.failedAt).padEnd(21), d.deliveryId.padEnd(36), d.toolKey.padEnd(28), String(d.attempts).padStart(5), `  ${d.lastReason}`].join(' '));
    if (d.lastError) print(`${' '.repeat(22)}${d.lastError}`);
  }
  print(`retry one with: switchboard --org ${g.org} deliveries retry <delivery id>`);
}

/** `switchboard deliveries retry <id>`: puts a dead letter back on the queue (same idempotency key). */
export async function deliveriesRetryCommand(g: GlobalOptions, deliveryId: string, print: Print): Promise<void> {
  const delivery = await withDeliveries(g, (c) => c.retry(g.org, deliveryId));
  const attempts = delivery?.attempts ?? 0;
  print(`delivery ${deliveryId} queued again (${attempts} earlier attempt${attempts === 1 ? '' : 's'}); follow it with switchboard audit --tool ${delivery?.toolKey ?? '<tool>'}`);
}

/** Adds `deliveries list` and `deliveries retry` to the program (one line in main.ts). */
export function registerDeliveriesCommands(program: Command, globals: () => GlobalOptions, print: Print): void {
  const deliveries = program.command('deliveries').description('async deliveries: the dead letters, and putting one back on the queue');
  deliveries.command('list').description('list deliveries that gave up (dead letters), newest first')
    .option('--failed', 'the dead letters (required: nothing else is listed)')
    .option('--tool <key>', 'only this integration')
    .option('--limit <n>', 'at most n (default 100, at most 1000)')
    .option('--json', 'print them as JSON')
    .action((o: DeliveriesListFlags) => deliveriesListCommand(globals(), o, print));
  deliveries.command('retry <deliveryId>').description('put a failed delivery back on the queue, with fresh attempts and the same idempotency key')
    .action((id: string) => deliveriesRetryCommand(globals(), id, print));
}
