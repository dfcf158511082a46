import type { ChannelCredentials } from '@grpc/grpc-js';
import { PromiseClient } from '@switchboard/client';
import { ExecutorServiceClient, type EndCallRequest, type EndCallResponse, type InvokeRequest, type InvokeResponse, type PrefetchAmbientRequest, type PrefetchAmbientResponse } from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';

/**
 * grpc-js shares one connection between all channels to the same address (its global subchannel pool), so
 * a "new" client would retry over the very connection that just failed. A local pool gives each channel
 * its own connection: behind a load balancer a reconnect can reach another executor replica.
 */
const OwnConnectionExecutorClient = class extends ExecutorServiceClient {
  constructor(address: string, credentials: ChannelCredentials) {
    super(address, credentials, { 'grpc.use_local_subchannel_pool': 1 });
  }
};

/** Invoke over a channel with a connection of its own (transport, token and deadline from @switchboard/client). */
export class ExecutorChannel {
  private readonly c: PromiseClient<ExecutorServiceClient>;

  constructor(options: ClientTransportOptions) {
    this.c = new PromiseClient(OwnConnectionExecutorClient, options);
  }

  invoke(request: InvokeRequest, timeoutMs: number): Promise<InvokeResponse> {
    return this.c.call('invoke', request, timeoutMs);
  }

  prefetchAmbient(request: PrefetchAmbientRequest, timeoutMs: number): Promise<PrefetchAmbientResponse> {
    return this.c.call('prefetchAmbient', request, timeoutMs);
  }

  endCall(request: EndCallRequest, timeoutMs: number): Promise<EndCallResponse> {
    return this.c.call('endCall', request, timeoutMs);
  }

  close(): void {
    this.c.close();
  }
}
