import { credentials, Metadata, type CallOptions, type ChannelCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface ClientTransportOptions {
  /** host:port */
  readonly address: string;
  /** PEM CA that signed the server certificate; without it the channel is plaintext. */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serviceToken?: string;
}

export function channelCredentials(options: ClientTransportOptions): ChannelCredentials {
  if (!options.caFile) return credentials.createInsecure();
  return credentials.createSsl(
    readFileSync(options.caFile),
    options.keyFile ? readFileSync(options.keyFile) : null,
    options.certFile ? readFileSync(options.certFile) : null,
  );
}

/** Metadata carrying the service token, if one is configured. */
export function callMetadata(options: Pick<ClientTransportOptions, 'serviceToken'>): Metadata {
  const md = new Metadata();
  if (options.serviceToken) md.set('authorization', `Bearer ${options.serviceToken}`);
  return md;
}

export function deadlineIn(ms: number): CallOptions {
  return { deadline: Date.now() + ms };
}
