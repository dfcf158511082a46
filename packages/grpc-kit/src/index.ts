export { toServiceError, fieldErrorsOf, reasonOf, REASON_METADATA_KEY, FIELD_ERRORS_METADATA_KEY } from './status-mapping.js';
export { CallGate, startGrpcServer, unary, serverCredentials } from './server.js';
export type { GrpcServerOptions, GrpcTlsFiles, RunningGrpcServer, UnaryHandler } from './server.js';
export { checkServiceToken } from './service-token.js';
export { channelCredentials, callMetadata, deadlineIn } from './client.js';
export type { ClientTransportOptions } from './client.js';
export { HealthState } from './health.js';
