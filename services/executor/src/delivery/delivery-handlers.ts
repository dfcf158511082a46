import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  DeliveryState,
  type DeliveryServiceServer,
  type ListDeliveriesRequest,
  type ListDeliveriesResponse,
  type RetryDeliveryRequest,
  type RetryDeliveryResponse,
} from '@switchboard/contracts';
import { checkServiceToken, toServiceError } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { SwitchboardError, type FieldProblem } from '@switchboard/errors';
import { INTEGRATION_KEY_PATTERN, ORG_ID_PATTERN } from '@switchboard/store';
import type { DeliveryAdmin } from './delivery-admin.js';

export interface DeliveryHandlerDeps {
  readonly admin: DeliveryAdmin;
  readonly logger: Logger;
  readonly serviceToken?: string | undefined;
}

// Delivery ids are the UUIDs the executor made; anything else cannot name one (and must not reach a KV key).
const DELIVERY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reasons of this service whose gRPC status the shared mapping would not pick. */
const STATUS_BY_REASON: Readonly<Record<string, status>> = {
  DELIVERY_QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  DELIVERY_QUEUE_UNAVAILABLE: status.UNAVAILABLE,
};

function invalid(problems: FieldProblem[]): SwitchboardError {
  return new SwitchboardError('INVALID_REQUEST', problems.map((p) => `${p.field} ${p.message}`).join('; '), { fieldErrors: problems });
}

function checkOrg(orgId: string, problems: FieldProblem[]): void {
  if (!ORG_ID_PATTERN.test(orgId)) problems.push({ field: 'org_id', message: 'must be 1-64 letters, digits, "_" or "-"' });
}

function handle<Req, Res>(deps: DeliveryHandlerDeps, method: string, run: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    if (deps.serviceToken !== undefined && !checkServiceToken(call.metadata, deps.serviceToken)) {
      callback({ code: status.UNAUTHENTICATED, details: 'missing or wrong service token' });
      return;
    }
    run(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const mapped = toServiceError(err);
        if (err instanceof SwitchboardError && STATUS_BY_REASON[err.reason] !== undefined) mapped.code = STATUS_BY_REASON[err.reason];
        else if (!(err instanceof SwitchboardError)) {
          // NATS errors (a timeout, no responders) while listing or requeueing: say so, not "internal".
          mapped.code = status.UNAVAILABLE;
          mapped.details = 'the delivery store is not reachable right now; try again';
        }
        if (mapped.code === status.UNAVAILABLE) deps.logger.warn({ err, method }, 'delivery request failed');
        callback(mapped);
      },
    );
  };
}

/** DeliveryService: the dead letters of an org, and putting one back on the work queue. */
export function deliveryHandlers(deps: DeliveryHandlerDeps): DeliveryServiceServer {
  return {
    listDeliveries: handle<ListDeliveriesRequest, ListDeliveriesResponse>(deps, 'ListDeliveries', async (req) => {
      const problems: FieldProblem[] = [];
      checkOrg(req.orgId, problems);
      if (req.state !== DeliveryState.DELIVERY_STATE_UNSPECIFIED && req.state !== DeliveryState.DELIVERY_STATE_FAILED) {
        problems.push({ field: 'state', message: 'only FAILED deliveries (the dead letters) are listed; the others are in the audit trail' });
      }
      if (req.toolKey !== '' && !INTEGRATION_KEY_PATTERN.test(req.toolKey)) problems.push({ field: 'tool_key', message: 'is not an integration key' });
      if (problems.length > 0) throw invalid(problems);
      return { deliveries: await deps.admin.listFailed(req.orgId, req.toolKey || undefined, req.limit) };
    }),

    retryDelivery: handle<RetryDeliveryRequest, RetryDeliveryResponse>(deps, 'RetryDelivery', async (req) => {
      const problems: FieldProblem[] = [];
      checkOrg(req.orgId, problems);
      if (!DELIVERY_ID_PATTERN.test(req.deliveryId)) problems.push({ field: 'delivery_id', message: 'must be a delivery id (a UUID)' });
      if (problems.length > 0) throw invalid(problems);
      return { delivery: await deps.admin.retry(req.orgId, req.deliveryId) };
    }),
  };
}
