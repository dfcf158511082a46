#!/usr/bin/env node
// Container health check: `node node_modules/@switchboard/grpc-kit/dist/probe.js`. Asks the service in
// this container whether it is ready: grpc.health.v1 for the gRPC services, HTTP for the others.
import http from 'node:http';
import { credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@switchboard/contracts';

const service = process.env['SERVICE'] ?? '';
const ports: Record<string, string | undefined> = {
  registry: process.env['REGISTRY_PORT'] ?? '50051',
  executor: process.env['EXECUTOR_PORT'] ?? '50052',
  'audit-logger': process.env['AUDIT_HTTP_PORT'] ?? '8080',
  console: process.env['CONSOLE_PORT'] ?? '8080',
  'mcp-gateway': process.env['MCP_PORT'] ?? '8090',
};
/** Services answering HTTP, and the path that says they can serve. */
const httpPaths: Record<string, string> = { 'audit-logger': '/readyz', console: '/healthz', 'mcp-gateway': '/healthz' };

function done(ok: boolean, why: string): never {
  process.stderr.write(`${service || 'service'} ${ok ? 'healthy' : `unhealthy: ${why}`}\n`);
  process.exit(ok ? 0 : 1);
}

const port = ports[service];
if (!port) done(false, `SERVICE must be one of ${Object.keys(ports).join(', ')}`);
const httpPath = httpPaths[service];
if (httpPath !== undefined) {
  http
    .get({ host: '127.0.0.1', port: Number(port), path: httpPath, timeout: 2_000 }, (res) => done(res.statusCode === 200, `HTTP ${res.statusCode}`))
    .on('error', (err) => done(false, err.message));
} else {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  client.check({ service: '' }, (err, res) => {
    if (err) done(false, err.details);
    done(res.status === HealthCheckResponse_ServingStatus.SERVING, 'not serving');
  });
}
