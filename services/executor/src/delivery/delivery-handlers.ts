import { type DeliveryServiceServer, DeliveryState, GENERATED_ID_PATTERN, INTEGRATION_KEY_PATTERN, type ListDeliveriesRequest, type ListDeliveriesResponse, ORG_ID_PATTERN, ORG_ID_RULE, type RetryDeliveryRequest, type RetryDeliveryResponse } from '@switchboard/contracts';
import { UnaryHandlers, type CallerAuth, type CallGate } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { SwitchboardError, type FieldProblem } from '@switchboard/errors';
import { isNatsUnavailable } from '@switchboard/store';
import { SINGLE_SHARD, type ShardSpec } from '@switchboard/sharding';
import type { DeliveryAdmin } from './delivery-admin.js';
import { requireOwnShard } from '../shard-gate.js';

export interface DeliveryHandlerDeps {
  readonly admin: DeliveryAdmin;
  readonly logger: Logger;
  /** Who may call which method for which org. */
  readonly auth?: CallerAuth | undefined;
  /** The executor's gate: DeliveryService stops taking calls while the executor drains, like Invoke. */
  readonly gate: CallGate;
  /** A sharded executor puts a dead letter back only on its own pool's queue, for its own orgs. */
  readonly shard?: ShardSpec | undefined;
}

function invalid(problems: FieldProblem[]): SwitchboardError {
  return new SwitchboardError('INVALID_REQUEST', problems.map((p) => `${p.field} ${p.message}`).join('; '), { fieldErrors: problems });
}

function checkOrg(orgId: string, problems: FieldProblem[]): void {
  if (!ORG_ID_PATTERN.test(orgId)) problems.push({ field: 'org_id', message: ORG_ID_RULE });
}

/** NATS not answering (a timeout, no responders) while listing or requeueing: say so, not "internal". */
function storeFailure(err: unknown): unknown {
  if (!isNatsUnavailable(err)) return err;
  return new SwitchboardError('DELIVERY_QUEUE_UNAVAILABLE', 'the delivery store is not reachable right now; try again', { cause: err });
}

/** DeliveryService: the dead letters of an org, and putting one back on the work queue. */
export function deliveryHandlers(deps: DeliveryHandlerDeps): DeliveryServiceServer {
  const h = new UnaryHandlers({ service: 'executor', logger: deps.logger, auth: deps.auth, gate: deps.gate, translate: storeFailure });
  return {
    listDeliveries: h.unary('ListDeliveries', async (req: ListDeliveriesRequest): Promise<ListDeliveriesResponse> => {
      const problems: FieldProblem[] = [];
      checkOrg(req.orgId, problems);
      if (req.state !== DeliveryState.DELIVERY_STATE_UNSPECIFIED && req.state !== DeliveryState.DELIVERY_STATE_FAILED) {
        problems.push({ field: 'state', message: 'only FAILED deliveries (the dead letters) are listed; the others are in the audit trail' });
      }
      if (req.toolKey !== '' && !INTEGRATION_KEY_PATTERN.test(req.toolKey)) problems.push({ field: 'tool_key', message: 'is not an integration key' });
      if (problems.length > 0) throw invalid(problems);
      return { deliveries: await deps.admin.listFailed(req.orgId, req.toolKey || undefined, req.limit) };
    }),

    retryDelivery: h.unary('RetryDelivery', async (req: RetryDeliveryRequest): Promise<RetryDeliveryResponse> => {
      const problems: FieldProblem[] = [];
      checkOrg(req.orgId, problems);
      // Delivery ids are the ids the executor made; anything else cannot name one (and must not reach a KV key).
      if (!GENERATED_ID_PATTERN.test(req.deliveryId)) problems.push({ field: 'delivery_id', message: 'must be a delivery id (a UUID)' });
      if (problems.length > 0) throw invalid(problems);
      requireOwnShard(deps.shard ?? SINGLE_SHARD, req.orgId);
      return { delivery: await deps.admin.retry(req.orgId, req.deliveryId) };
    }),
  };
}
