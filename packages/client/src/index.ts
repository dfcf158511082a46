export { RegistryClient } from './registry-client.js';
export { ExecutorClient } from './executor-client.js';
export { PromiseClient } from './promise-client.js';
export { ServiceClients } from './service-clients.js';
export type { ServiceClientsOptions } from './service-clients.js';
export { DeliveryClient } from './delivery-client.js';
export { fromServiceError, isServiceError } from './service-failure.js';
export type { ServiceName } from './service-failure.js';
