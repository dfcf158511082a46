import { outcomeToJSON, type Delivery } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import { grpc } from './grpc-errors.js';

/** A dead letter as the page shows it: metadata only (the executor never lists the request itself). */
function view(d: Delivery) {
  return {
    deliveryId: d.deliveryId,
    toolKey: d.toolKey,
    callId: d.callId,
    acceptedAt: d.acceptedAt?.toISOString() ?? null,
    failedAt: d.failedAt?.toISOString() ?? null,
    attempts: d.attempts,
    requeues: d.requeues,
    lastOutcome: outcomeToJSON(d.lastOutcome),
    lastReason: d.lastReason,
    lastHttpStatus: d.lastHttpStatus,
    lastError: d.lastError,
  };
}

/** The org's failed async deliveries (dead letters), newest first. */
export const listDeliveries: ApiHandler = async (req, deps) => {
  const tool = req.query.get('tool') ?? '';
  if (tool.length > 128) throw new SwitchboardError('INVALID_REQUEST', 'tool is too long', { fieldErrors: [{ field: 'tool', message: 'must be at most 128 characters' }] });
  const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 100) || 100, 1), 1000);
  const deliveries = await grpc(() => deps.deliveries.listFailed(req.session.orgId, tool, limit));
  return { body: { deliveries: deliveries.map(view) } };
};

/** Puts one of the org's dead letters back on the queue; another org's id reads as missing (404). */
export const retryDelivery: ApiHandler = async (req, deps) => {
  const delivery = await grpc(() => deps.deliveries.retry(req.session.orgId, req.params[0]!));
  return { body: { delivery: delivery ? view(delivery) : null } };
};
