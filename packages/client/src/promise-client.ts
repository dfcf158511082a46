import type { CallOptions, Client, Metadata, ServiceError } from '@grpc/grpc-js';
import { callMetadata, channelCredentials, type ClientTransportOptions } from '@switchboard/grpc-kit';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Turns a ts-proto grpc-js client's callback methods into promises with a per-call deadline. */
export class PromiseClient<C extends Client> {
  readonly raw: C;
  private readonly options: ClientTransportOptions;

  constructor(Ctor: new (address: string, credentials: ReturnType<typeof channelCredentials>) => C, options: ClientTransportOptions) {
    this.options = options;
    this.raw = new Ctor(options.address, channelCredentials(options));
  }

  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, timeoutMs: number, metadata?: Metadata): Promise<Res> {
    const md = metadata ?? callMetadata(this.options);
    if (metadata && this.options.serviceToken) md.set('authorization', `Bearer ${this.options.serviceToken}`);
    return new Promise((resolve, reject) => {
      method.call(this.raw, request, md, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  close(): void {
    this.raw.close();
  }
}
