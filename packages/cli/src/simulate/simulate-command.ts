import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SwitchboardRuntime } from '@switchboard/runtime-client';
import { transport, type GlobalOptions } from '../connection.js';
import { UsageError } from '../errors.js';
import { noAudit, watchAudit, type AuditSource } from './audit-watch.js';
import { renderSimulation } from './render.js';
import { runSimulation } from './run-simulation.js';
import { parseSimulationScript, type SimulationScript } from './script.js';

export interface SimulateFlags {
  readonly json?: boolean;
  /** false (`--no-audit`) skips the audit stream; `upstream_requests` expectations then fail as unknown. */
  readonly audit?: boolean;
  /** NATS holding the audit stream (default NATS_URL, then nats://127.0.0.1:4222). */
  readonly natsUrl?: string;
  readonly streamName?: string;
  readonly subjectPrefix?: string;
  /** How long to wait for each invocation's audit event (default 3000 ms). */
  readonly auditWaitMs?: number | string;
}

const DEFAULT_AUDIT_WAIT_MS = 3_000;

async function loadScript(scriptPath: string): Promise<SimulationScript> {
  let text: string;
  try {
    text = await readFile(scriptPath, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${scriptPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { script, problems } = parseSimulationScript(text);
  if (!script) throw new UsageError([`${scriptPath} has problems:`, ...problems.map((p) => `  ${p.field}: ${p.message}`)].join('\n'));
  return script;
}


/**
 * `switchboard simulate <script>`: rehearses a call against the running registry and executor without a
 * phone or a model, and prints turn by turn what the agent would say, what went out (from the audit
 * trail, redacted by the executor) and whether the script's expectations held. Sets exit code 1 when
 * one did not, or when a turn could not run.
 */
export async function simulateCommand(globals: GlobalOptions, scriptPath: string, opts: SimulateFlags, print: (s: string) => void): Promise<void> {
  const script = await loadScript(scriptPath);
  const auditWaitMs = opts.auditWaitMs === undefined ? DEFAULT_AUDIT_WAIT_MS : Number(opts.auditWaitMs);
  if (!Number.isFinite(auditWaitMs) || auditWaitMs < 0) throw new UsageError('--audit-wait-ms must be a number of milliseconds');
  const callId = script.callId ?? randomUUID();
  const runtime = new SwitchboardRuntime({
    executor: transport(globals.executor, globals),
    registry: transport(globals.registry, globals),
    orgId: globals.org,
    turnBudgetMs: script.turnBudgetMs,
  });
  let audit: AuditSource | undefined;
  try {
    audit =
      opts.audit === false
        ? noAudit('turned off with --no-audit')
        : await watchAudit({
            natsUrl: opts.natsUrl ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
            stream: opts.streamName,
            subjectPrefix: opts.subjectPrefix,
            orgId: globals.org,
            // A margin for clocks that disagree a little; events are matched by invocation id anyway.
            since: new Date(Date.now() - 5_000),
          });
    const report = await runSimulation(script, { runtime, audit, orgId: globals.org, executor: globals.executor, callId, auditWaitMs });
    print(opts.json ? JSON.stringify({ script: scriptPath, ...report }, null, 2) : renderSimulation(report, scriptPath));
    if (report.failed > 0) process.exitCode = 1;
  } finally {
    // The simulated call's state goes with it; an executor that cannot be asked lets it expire instead.
    await runtime.endCall(callId).catch(() => false);
    runtime.close();
    await audit?.close();
  }
}
