import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import { callStats, STATS_WINDOWS, type StatsWindow } from './call-stats.js';

function time(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (!raw) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) {
    throw new SwitchboardError('INVALID_REQUEST', `${name} must be a date or time`, { fieldErrors: [{ field: name, message: 'must be a date or time such as 2026-11-25T10:00' }] });
  }
  return t;
}

/**
 * One integration's charts: latency p50/p95 over the last hour or day and its outcomes, from this org's
 * audit trail (Tests included, as the trail records them), with the breaker state its last live call reported.
 */
export const integrationStats: ApiHandler = async (req, deps) => {
  const raw = req.query.get('window') ?? '1h';
  if (!Object.hasOwn(STATS_WINDOWS, raw)) {
    throw new SwitchboardError('INVALID_REQUEST', 'window must be 1h or 24h', { fieldErrors: [{ field: 'window', message: 'must be 1h or 24h' }] });
  }
  const window = raw as StatsWindow;
  const orgId = req.session.orgId;
  const tool = req.params[0]!;
  const now = Date.now();
  const [page, last] = await Promise.all([
    deps.audit.calls(orgId, { tool, since: now - STATS_WINDOWS[window].ms, limit: 20_000 }),
    deps.audit.lastCalls(orgId),
  ]);
  return { body: { ...callStats(page.calls, window, now), breakerState: last.get(tool)?.breakerState || '' } };
};

const MAX_OFFSET = 1_000_000;

/** The org's audit trail, newest first, one page at a time; the audit logger already redacted every record. */
export const listCalls: ApiHandler = async (req, deps) => {
  const q = req.query;
  const limit = Math.min(Math.max(Number(q.get('limit') ?? 200) || 200, 1), 1000);
  const offset = Math.min(Math.max(Math.floor(Number(q.get('offset') ?? 0)) || 0, 0), MAX_OFFSET);
  const orgId = req.session.orgId;
  const [page, tools] = await Promise.all([
    deps.audit.calls(orgId, {
    callId: q.get('callId') || undefined,
    tool: q.get('tool') || undefined,
    outcome: q.get('outcome') || undefined,
    since: time(q, 'since'),
    until: time(q, 'until'),
    limit,
    offset,
    }),
    deps.audit.tools(orgId),
  ]);
  return { body: { calls: page.calls, total: page.total, offset, limit, tools } };
};
