export { refusal, fieldErrorsOf, reasonOf, REASON_METADATA_KEY } from './status-mapping.js';
export { startGrpcServer, serverCredentials } from './server.js';
export type { GrpcServerOptions, GrpcTlsFiles, RunningGrpcServer } from './server.js';
export { CallGate, UnaryHandlers } from './unary-handlers.js';
export type { UnaryHandlerOptions, UnaryMethod } from './unary-handlers.js';
export { channelCredentials, callMetadata, deadlineIn } from './client.js';
export type { ClientTransportOptions } from './client.js';
export { HealthState } from './health.js';
