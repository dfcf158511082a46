import type { Metadata } from '@grpc/grpc-js';
import type { EndCallResponse, InvokeRequest, InvokeResponse, PrefetchAmbientRequest, PrefetchAmbientResponse, TestRequest, TestResponse } from '@switchboard/contracts';
import { reasonOf, type ClientTransportOptions } from '@switchboard/grpc-kit';
import { SHARD_METADATA_KEY, parseShardRedirect, shardOf, type ShardRedirect } from '@switchboard/sharding';
import { ExecutorClient, type ExecutorCalls } from './executor-client.js';
import { isServiceError } from './service-failure.js';

/** The owner a WRONG_SHARD refusal names, or undefined for any other error. */
export function shardRedirectOf(err: unknown): ShardRedirect | undefined {
  if (!isServiceError(err) || reasonOf(err) !== 'WRONG_SHARD') return undefined;
  return parseShardRedirect(err.metadata?.get(SHARD_METADATA_KEY)[0]);
}

/**
 * Where a refused call goes next: the shard the refusal names, when it counts shards as this client
 * does and is not the pool that refused. Otherwise the client's list and the pools disagree about the
 * layout (an operator's mistake mid-reshard), and the refusal is the answer.
 */
export function redirectTarget(err: unknown, count: number, tried: number): number | undefined {
  const to = shardRedirectOf(err);
  return to !== undefined && to.count === count && to.index !== tried ? to.index : undefined;
}

export interface ShardedExecutorOptions {
  /** One target per shard, in shard order: `shards[i]` serves shard i of `shards.length`. */
  readonly shards: readonly ClientTransportOptions[];
  /**
   * Picks the first pool for an org (default: the executors' own hash, so a redirect is the exception).
   * A client that cannot compute it (a consistent hash over addresses, any pool) still reaches the
   * right pool: the wrong one names the owner and the call is sent there once.
   */
  readonly route?: (orgId: string, count: number) => number;
}

interface Generation {
  readonly clients: readonly ExecutorClient[];
  inFlight: number;
  retired: boolean;
}

/**
 * ExecutorClient over sharded executor pools: each call goes to its org's pool, and a WRONG_SHARD
 * answer is followed once. `retarget` swaps the pool list while calls run (a reshard): calls already
 * sent finish on the old channels, which close when the last one ends.
 */
export class ShardedExecutorClient implements ExecutorCalls {
  private current: Generation;
  private readonly route: (orgId: string, count: number) => number;
  /** Calls that were sent on after a WRONG_SHARD answer. */
  redirects = 0;

  constructor(options: ShardedExecutorOptions) {
    this.route = options.route ?? shardOf;
    this.current = generationOf(options.shards);
  }

  get shardCount(): number {
    return this.current.clients.length;
  }

  /** From now on calls go to these pools; calls in flight finish where they were sent. */
  retarget(shards: readonly ClientTransportOptions[]): void {
    const old = this.current;
    this.current = generationOf(shards);
    retire(old);
  }

  invoke(request: Partial<InvokeRequest> & Pick<InvokeRequest, 'orgId' | 'toolKey'>, timeoutMs = 8_000, metadata?: Metadata): Promise<InvokeResponse> {
    return this.routed(request.orgId, (c) => c.invoke(request, timeoutMs, metadata));
  }

  test(request: Partial<TestRequest> & Pick<TestRequest, 'orgId'>, timeoutMs = 30_000): Promise<TestResponse> {
    return this.routed(request.orgId, (c) => c.test(request, timeoutMs));
  }

  prefetchAmbient(request: Partial<PrefetchAmbientRequest> & Pick<PrefetchAmbientRequest, 'orgId'>, timeoutMs = 12_000): Promise<PrefetchAmbientResponse> {
    return this.routed(request.orgId, (c) => c.prefetchAmbient(request, timeoutMs));
  }

  endCall(orgId: string, callId: string, timeoutMs = 5_000): Promise<EndCallResponse> {
    return this.routed(orgId, (c) => c.endCall(orgId, callId, timeoutMs));
  }

  close(): void {
    retire(this.current);
  }

  private async routed<T>(orgId: string, send: (c: ExecutorClient) => Promise<T>): Promise<T> {
    const g = this.current;
    const count = g.clients.length;
    const first = Math.min(count - 1, Math.max(0, this.route(orgId, count)));
    g.inFlight += 1;
    try {
      try {
        return await send(g.clients[first]!);
      } catch (err) {
        // Sent to a pool that a reshard has since retired and that began draining before the call
        // reached it: a draining executor refuses before doing any work, so the call goes once to
        // the pool that now owns the org.
        if (g.retired && this.current !== g && isServiceError(err) && reasonOf(err) === 'DRAINING') return await this.routed(orgId, send);
        const next = redirectTarget(err, count, first);
        if (next === undefined) throw err;
        this.redirects += 1;
        return await send(g.clients[next]!);
      }
    } finally {
      g.inFlight -= 1;
      if (g.retired && g.inFlight === 0) closeAll(g);
    }
  }
}

function generationOf(shards: readonly ClientTransportOptions[]): Generation {
  if (shards.length === 0) throw new RangeError('a sharded executor client needs at least one shard target');
  return { clients: shards.map((s) => new ExecutorClient(s)), inFlight: 0, retired: false };
}

function retire(g: Generation): void {
  g.retired = true;
  if (g.inFlight === 0) closeAll(g);
}

function closeAll(g: Generation): void {
  for (const c of g.clients) c.close();
}
