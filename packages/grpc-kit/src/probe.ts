#!/usr/bin/env node
// Container health check: `node node_modules/@switchboard/grpc-kit/dist/probe.js`. Asks the service in
// this container whether it is ready. HTTP `/readyz` on the operations port whenever the service has one
// (it says exactly what gRPC health says, and keeps working when gRPC is served over TLS); otherwise
// plaintext grpc.health.v1 for the gRPC services, and `/healthz` for the console and MCP gateway.
import http from 'node:http';
import { credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@switchboard/contracts';

const env = process.env;
const service = env['SERVICE'] ?? '';

interface Target {
  readonly port: string;
  /** An HTTP path, or undefined for grpc.health.v1. */
  readonly path: string | undefined;
}

function targetOf(name: string): Target | undefined {
  switch (name) {
    case 'registry':
      return env['REGISTRY_HTTP_PORT'] ? { port: env['REGISTRY_HTTP_PORT'], path: '/readyz' } : { port: env['REGISTRY_PORT'] ?? '50051', path: undefined };
    case 'executor':
      return env['EXECUTOR_HTTP_PORT'] ? { port: env['EXECUTOR_HTTP_PORT'], path: '/readyz' } : { port: env['EXECUTOR_PORT'] ?? '50052', path: undefined };
    case 'audit-logger':
      return { port: env['AUDIT_HTTP_PORT'] ?? '8080', path: '/readyz' };
    case 'console':
      return { port: env['CONSOLE_PORT'] ?? '8080', path: '/healthz' };
    case 'mcp-gateway':
      return { port: env['MCP_PORT'] ?? '8090', path: '/healthz' };
    default:
      return undefined;
  }
}

function done(ok: boolean, why: string): never {
  process.stderr.write(`${service || 'service'} ${ok ? 'healthy' : `unhealthy: ${why}`}\n`);
  process.exit(ok ? 0 : 1);
}

const target = targetOf(service);
if (!target) done(false, 'SERVICE must be one of registry, executor, audit-logger, console, mcp-gateway');
if (target.path !== undefined) {
  http
    .get({ host: '127.0.0.1', port: Number(target.port), path: target.path, timeout: 2_000 }, (res) => done(res.statusCode === 200, `HTTP ${res.statusCode}`))
    .on('error', (err) => done(false, err.message));
} else {
  const client = new HealthClient(`127.0.0.1:${target.port}`, credentials.createInsecure());
  client.check({ service: '' }, (err, res) => {
    if (err) done(false, err.details);
    done(res.status === HealthCheckResponse_ServingStatus.SERVING, 'not serving');
  });
}
