import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';

function time(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (!raw) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) {
    throw new SwitchboardError('INVALID_REQUEST', `${name} must be a date or time`, { fieldErrors: [{ field: name, message: 'must be a date or time such as 2026-11-25T10:00' }] });
  }
  return t;
}

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
