import type { CallOptions, Client, Metadata, ServiceError } from '@grpc/grpc-js';
import { callMetadata, channelCredentials, type ClientTransportOptions } from '@switchboard/grpc-kit';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** The request and response types of a client's unary method (ts-proto's last overload: request, metadata, options, callback). */
type Parts<M> = M extends (request: infer Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: infer Res) => void) => unknown
  ? { request: Req; response: Res }
  : never;
type RequestOf<M> = Parts<M>['request'];
type ResponseOf<M> = Parts<M>['response'];

/** The names of a client's unary methods. */
type UnaryName<C> = { [K in keyof C]: [Parts<C[K]>] extends [never] ? never : K }[keyof C];

/**
 * Turns a ts-proto grpc-js client's callback methods into promises with a per-call deadline. A method is
 * named, not passed, so it is always called on its own client.
 */
export class PromiseClient<C extends Client> {
  readonly raw: C;
  private readonly options: ClientTransportOptions;

  constructor(Ctor: new (address: string, credentials: ReturnType<typeof channelCredentials>) => C, options: ClientTransportOptions) {
    this.options = options;
    this.raw = new Ctor(options.address, channelCredentials(options));
  }

  call<K extends UnaryName<C>>(name: K, request: RequestOf<C[K]>, timeoutMs: number, metadata?: Metadata): Promise<ResponseOf<C[K]>> {
    const md = metadata ?? callMetadata(this.options);
    if (metadata && this.options.serviceToken) md.set('authorization', `Bearer ${this.options.serviceToken}`);
    const method = this.raw[name] as UnaryMethod<RequestOf<C[K]>, ResponseOf<C[K]>>;
    return new Promise((resolve, reject) => {
      method.call(this.raw, request, md, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  close(): void {
    this.raw.close();
  }
}
