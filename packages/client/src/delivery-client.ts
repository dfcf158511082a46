import { DeliveryServiceClient, DeliveryState, type Delivery } from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { PromiseClient } from './promise-client.js';

const TIMEOUT_MS = 15_000;

/** The executor's DeliveryService (every replica serves it): async deliveries that failed for good. */
export class DeliveryClient {
  private readonly c: PromiseClient<DeliveryServiceClient>;

  constructor(options: ClientTransportOptions) {
    this.c = new PromiseClient(DeliveryServiceClient, options);
  }

  /** An org's dead letters, newest first; `toolKey` '' for every tool, `limit` 0 for the server's default. */
  async listFailed(orgId: string, toolKey = '', limit = 0): Promise<Delivery[]> {
    const req = { orgId, state: DeliveryState.DELIVERY_STATE_FAILED, toolKey, limit };
    return (await this.c.call(this.c.raw.listDeliveries, req, TIMEOUT_MS)).deliveries;
  }

  /** Puts a dead letter back on the queue with the same idempotency key. */
  async retry(orgId: string, deliveryId: string): Promise<Delivery | undefined> {
    return (await this.c.call(this.c.raw.retryDelivery, { orgId, deliveryId }, TIMEOUT_MS)).delivery;
  }

  close(): void {
    this.c.close();
  }
}
