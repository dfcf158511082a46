import type { Metadata } from '@grpc/grpc-js';
import {
  ExecutorServiceClient,
  type EndCallResponse,
  type InvokeRequest,
  type InvokeResponse,
  type PrefetchAmbientRequest,
  type PrefetchAmbientResponse,
  type TestRequest,
  type TestResponse,
} from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { PromiseClient } from './promise-client.js';

/** What callers of the executor use: one executor (ExecutorClient) or sharded pools (ShardedExecutorClient). */
export type ExecutorCalls = Pick<ExecutorClient, 'invoke' | 'test' | 'prefetchAmbient' | 'endCall' | 'close'>;

/** Invoke and Test as promises. The deadline is the runtime's turn budget for this tool call. */
export class ExecutorClient {
  private readonly c: PromiseClient<ExecutorServiceClient>;

  constructor(options: ClientTransportOptions) {
    this.c = new PromiseClient(ExecutorServiceClient, options);
  }

  invoke(request: Partial<InvokeRequest> & Pick<InvokeRequest, 'orgId' | 'toolKey'>, timeoutMs = 8_000, metadata?: Metadata): Promise<InvokeResponse> {
    const full: InvokeRequest = { callId: '', argumentsJson: '', context: undefined, ...request };
    return this.c.call('invoke', full, timeoutMs, metadata);
  }

  test(request: Partial<TestRequest> & Pick<TestRequest, 'orgId'>, timeoutMs = 30_000): Promise<TestResponse> {
    const full: TestRequest = { toolKey: '', integration: undefined, argumentsJson: '', context: undefined, ...request };
    return this.c.call('test', full, timeoutMs);
  }

  /** The org's ambient lookups at call start; the executor answers at `deadlineMs` with those that ended. */
  prefetchAmbient(request: Partial<PrefetchAmbientRequest> & Pick<PrefetchAmbientRequest, 'orgId'>, timeoutMs = 12_000): Promise<PrefetchAmbientResponse> {
    const full: PrefetchAmbientRequest = { callId: '', context: undefined, deadlineMs: 0, ...request };
    return this.c.call('prefetchAmbient', full, timeoutMs);
  }

  /** The call ended: its call state (exports, verification, failed attempts) is deleted on every replica. */
  endCall(orgId: string, callId: string, timeoutMs = 5_000): Promise<EndCallResponse> {
    return this.c.call('endCall', { orgId, callId }, timeoutMs);
  }

  close(): void {
    this.c.close();
  }
}
