import { DeliveryServiceClient, DeliveryState, type Delivery } from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { shardOf } from '@switchboard/sharding';
import { PromiseClient } from './promise-client.js';

const TIMEOUT_MS = 15_000;

/** The executor's DeliveryService (every replica serves it): async deliveries that failed for good. */
export class DeliveryClient {
  private readonly pools: PromiseClient<DeliveryServiceClient>[];

  /** One executor, or sharded pools (one target per shard, in shard order): an org's calls go to its pool. */
  constructor(options: ClientTransportOptions | readonly ClientTransportOptions[]) {
    this.pools = (Array.isArray(options) ? options : [options]).map((o: ClientTransportOptions) => new PromiseClient(DeliveryServiceClient, o));
  }

  private poolOf(orgId: string): PromiseClient<DeliveryServiceClient> {
    return this.pools[shardOf(orgId, this.pools.length)]!;
  }

  /** An org's dead letters, newest first; `toolKey` '' for every tool, `limit` 0 for the server's default. */
  async listFailed(orgId: string, toolKey = '', limit = 0): Promise<Delivery[]> {
    const req = { orgId, state: DeliveryState.DELIVERY_STATE_FAILED, toolKey, limit };
    const c = this.poolOf(orgId);
    return (await c.call('listDeliveries', req, TIMEOUT_MS)).deliveries;
  }

  /** Puts a dead letter back on the queue (its pool's, when sharded) with the same idempotency key. */
  async retry(orgId: string, deliveryId: string): Promise<Delivery | undefined> {
    const c = this.poolOf(orgId);
    return (await c.call('retryDelivery', { orgId, deliveryId }, TIMEOUT_MS)).delivery;
  }

  close(): void {
    for (const c of this.pools) c.close();
  }
}
