import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { sleep } from '@switchboard/harness';
import { HealthCheckResponse_ServingStatus as ServingStatus, HealthClient } from '@switchboard/contracts';

export { sleep };

/** The gRPC status name of a failed call ("UNAVAILABLE"), or "NOT_GRPC: <message>" for anything else. */
export function grpcCodeOf(err: unknown): string {
  const code = (err as Partial<ServiceError> | null)?.code;
  if (typeof code === 'number') return status[code] ?? String(code);
  return `NOT_GRPC: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * How many times each invocation id appears in the audit logger's JSON-lines files under `dirs`
 * (several loggers' directories together). A last line without its newline (a write in progress) is
 * not counted yet.
 */
export function auditIdCounts(dirs: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    } catch {
      continue;
    }
    for (const file of files) {
      const lines = readFileSync(path.join(dir, file), 'utf8').split('\n');
      lines.pop();
      for (const line of lines) {
        if (line.trim() === '') continue;
        const id = (JSON.parse(line) as { invocationId?: unknown }).invocationId;
        if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  }
  return counts;
}

export interface AuditTally {
  /** Ids we expected that are not (yet) in any file. */
  readonly missing: string[];
  /** Ids written more than once, with their count. */
  readonly duplicated: [string, number][];
  readonly counts: Map<string, number>;
}

export function tally(dirs: readonly string[], ids: Iterable<string>): AuditTally {
  const counts = auditIdCounts(dirs);
  const missing = [...ids].filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, n]) => n > 1);
  return { missing, duplicated, counts };
}

/**
 * Waits until every id is in the audit files, then keeps watching for `settleMs` so a late duplicate
 * (a redelivery) would still be seen. Resolves with the final tally either way; the caller asserts.
 */
export async function awaitAudit(dirs: readonly string[], ids: readonly string[], timeoutMs: number, settleMs = 1_500): Promise<AuditTally> {
  const until = Date.now() + timeoutMs;
  let last = tally(dirs, ids);
  while (last.missing.length > 0 && Date.now() < until) {
    await sleep(200);
    last = tally(dirs, ids);
  }
  if (last.missing.length > 0) return last;
  await sleep(settleMs);
  return tally(dirs, ids);
}

export interface HealthSample {
  /** ms since the poller started */
  readonly at: number;
  /** SERVING, NOT_SERVING, or the gRPC error code of a failed check (e.g. UNAVAILABLE). */
  readonly state: string;
}

/**
 * Asks grpc.health.v1 (service "") every `intervalMs` on its own channel until stopped, recording
 * each answer with a wall-clock time so the test can line it up with a signal it sent.
 */
export class HealthPoller {
  readonly samples: { readonly time: number; readonly state: string }[] = [];
  private readonly client: HealthClient;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(address: string, intervalMs = 10) {
    this.client = new HealthClient(address, credentials.createInsecure());
    this.loop = this.run(intervalMs);
  }

  private async run(intervalMs: number): Promise<void> {
    while (this.running) {
      const state = await new Promise<string>((resolve) => {
        this.client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 500 }, (err, res) => {
          if (err) resolve(grpcCodeOf(err));
          else resolve(ServingStatus[res.status] ?? String(res.status));
        });
      });
      this.samples.push({ time: Date.now(), state });
      await sleep(intervalMs);
    }
  }

  /**
   * Resolves once a SERVING answer was recorded. A test waits for it before it signals, so "SERVING
   * before the signal" is a fact of the run rather than a race with a slow first health call.
   */
  async serving(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.samples.some((s) => s.state === 'SERVING')) {
      if (Date.now() > until) throw new Error(`no SERVING health answer within ${timeoutMs} ms: ${this.samples.at(-1)?.state ?? 'no answer'}`);
      await sleep(10);
    }
  }

  /** The first sample at or after `time` with the given state, if any. */
  firstAfter(time: number, state: string): { time: number; state: string } | undefined {
    return this.samples.find((s) => s.time >= time && s.state === state);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.close();
  }
}
