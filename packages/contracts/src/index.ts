// The public surface of the contracts: every message, enum and gRPC service definition.
export * from './gen/switchboard/v1/integration.js';
export * from './gen/switchboard/v1/credential.js';
export * from './gen/switchboard/v1/registry.js';
export * from './gen/switchboard/v1/executor.js';
export * from './gen/switchboard/v1/audit.js';
export { HealthService, HealthClient, HealthCheckRequest, HealthCheckResponse, HealthCheckResponse_ServingStatus } from './gen/grpc/health/v1/health.js';
export type { HealthServer } from './gen/grpc/health/v1/health.js';
// The writer the generated encoders take: a caller that encodes often can pass one it reuses.
export { BinaryWriter } from '@bufbuild/protobuf/wire';
export { reusingSerializer, withReusingSerializer } from './serialize.js';
export type { Encodable } from './serialize.js';
export * from './ids.js';
