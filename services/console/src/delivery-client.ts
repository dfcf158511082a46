import { PromiseClient } from '@switchboard/client';
import { DeliveryServiceClient, DeliveryState, type Delivery } from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';

const TIMEOUT_MS = 15_000;

/** The executor's DeliveryService as the console uses it: always for one org, the session's. */
export interface DeliveryClient {
  listFailed(orgId: string, toolKey: string, limit: number): Promise<Delivery[]>;
  retry(orgId: string, deliveryId: string): Promise<Delivery | undefined>;
  close(): void;
}

export function createDeliveryClient(transport: ClientTransportOptions): DeliveryClient {
  const c = new PromiseClient(DeliveryServiceClient, transport);
  return {
    listFailed: async (orgId, toolKey, limit) =>
      (await c.call(c.raw.listDeliveries, { orgId, state: DeliveryState.DELIVERY_STATE_FAILED, toolKey, limit }, TIMEOUT_MS)).deliveries,
    retry: async (orgId, deliveryId) => (await c.call(c.raw.retryDelivery, { orgId, deliveryId }, TIMEOUT_MS)).delivery,
    close: () => c.close(),
  };
}
