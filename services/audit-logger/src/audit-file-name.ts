/**
 * Audit files are named `audit-<YYYY-MM-DD>-<instance>-<seq>.jsonl`: the UTC day the lines were written,
 * the logger instance that wrote them (so replicas never share a file), and a sequence number that grows
 * with every rotation and every restart (a restarted process never appends to an older file).
 */
export interface AuditFileName {
  readonly date: string;
  readonly instanceId: string;
  readonly seq: number;
}

const PATTERN = /^audit-(\d{4}-\d{2}-\d{2})-(.+)-(\d+)\.jsonl$/;

export function formatAuditFileName(name: AuditFileName): string {
  return `audit-${name.date}-${name.instanceId}-${String(name.seq).padStart(4, '0')}.jsonl`;
}

export function parseAuditFileName(file: string): AuditFileName | null {
  const m = PATTERN.exec(file);
  if (m === null) return null;
  const [, date = '', instanceId = '', seq = ''] = m;
  return { date, instanceId, seq: Number.parseInt(seq, 10) };
}

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC day `days` before `at`'s day. */
export function utcDayBefore(at: Date, days: number): string {
  return utcDay(new Date(at.getTime() - days * 24 * 60 * 60 * 1000));
}

/** Orders file names by day, then instance, then sequence (numeric, not lexicographic). */
export function compareAuditFiles(a: AuditFileName, b: AuditFileName): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.instanceId !== b.instanceId) return a.instanceId < b.instanceId ? -1 : 1;
  return a.seq - b.seq;
}
