import type { DeliveryClient, ExecutorCalls, RegistryClient } from '@switchboard/client';
import type { AuditIndex } from './audit-index.js';
import type { Session } from './sessions.js';

/** What every signed-in API handler receives: the session (its org scopes everything) and the request's parts. */
export interface ApiRequest {
  readonly session: Session;
  /** Captured path segments, already URL-decoded. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  body(): Promise<Record<string, unknown>>;
}

/** The console's connections. `registryFor` hands out a client bound to one org: the only way to reach the registry. */
export interface ApiDeps {
  registryFor(orgId: string): RegistryClient;
  readonly executor: ExecutorCalls;
  readonly audit: AuditIndex;
  /** The executor's DeliveryService (dead letters of async deliveries). */
  readonly deliveries: DeliveryClient;
}

export interface ApiResult {
  readonly status?: number;
  readonly body: unknown;
}

export type ApiHandler = (req: ApiRequest, deps: ApiDeps) => Promise<ApiResult>;
