export { createMetricsRegistry, startOpsServer } from './ops-server.js';
export type { OpsServer, OpsServerOptions } from './ops-server.js';
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
