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

/** The org's audit trail, newest first; the audit logger already redacted every record. */
export const listCalls: ApiHandler = async (req, deps) => {
  const q = req.query;
  const limit = Math.min(Math.max(Number(q.get('limit') ?? 200) || 200, 1), 1000);
  const calls = await deps.audit.calls(req.session.orgId, {
    callId: q.get('callId') || undefined,
    tool: q.get('tool') || undefined,
    outcome: q.get('outcome') || undefined,
    since: time(q, 'since'),
    until: time(q, 'until'),
    limit,
  });
  return { body: { calls } };
};
