import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '@switchboard/contracts';

/**
 * grpc.health.v1 for probes. The overall status ("" service) is NOT_SERVING until the service says it
 * is ready, and again while it drains or while a dependency it cannot work without is down.
 */
export class HealthState {
  private serving = false;
  private readonly services: ReadonlySet<string>;

  constructor(
    serviceNames: readonly string[],
    private readonly dependenciesReady: () => boolean = () => true,
  ) {
    this.services = new Set(['', ...serviceNames]);
  }

  setServing(serving: boolean): void {
    this.serving = serving;
  }

  /** Started, not draining, and every dependency the service needs is there: what `/readyz` says too. */
  get isServing(): boolean {
    return this.serving && this.dependenciesReady();
  }

  implementation(): HealthServer {
    return {
      check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        if (!this.services.has(call.request.service)) {
          callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        callback(null, { status: this.isServing ? ServingStatus.SERVING : ServingStatus.NOT_SERVING });
      },
    };
  }
}
