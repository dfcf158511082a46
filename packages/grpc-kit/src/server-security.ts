import { CallerAuth, type OrgTokenVerifier } from './caller-auth.js';
import type { GrpcTlsFiles } from './server.js';
import type { ServiceIdentity } from './service-identities.js';

/** The parsed `grpcServerEnv` variables (@switchboard/config) and the identities read with them. */
export interface ServerSecuritySettings {
  readonly GRPC_TLS_CERT_FILE?: string | undefined;
  readonly GRPC_TLS_KEY_FILE?: string | undefined;
  readonly GRPC_TLS_CLIENT_CA_FILE?: string | undefined;
  readonly SERVICE_TOKEN?: string | undefined;
  readonly GRPC_ALLOW_UNAUTHENTICATED: boolean;
  readonly identities: readonly ServiceIdentity[];
}

export interface ServerSecurity {
  readonly tls: GrpcTlsFiles | undefined;
  readonly auth: CallerAuth;
  readonly allowUnauthenticated: boolean;
}

/** TLS files and caller authentication of a gRPC server, the same way for the registry and the executor. */
export function serverSecurity(settings: ServerSecuritySettings, verifyOrgToken: OrgTokenVerifier): ServerSecurity {
  const tls = settings.GRPC_TLS_CERT_FILE && settings.GRPC_TLS_KEY_FILE
    ? { certFile: settings.GRPC_TLS_CERT_FILE, keyFile: settings.GRPC_TLS_KEY_FILE, clientCaFile: settings.GRPC_TLS_CLIENT_CA_FILE }
    : undefined;
  const auth = new CallerAuth({
    legacyToken: settings.SERVICE_TOKEN,
    identities: settings.identities,
    verifyOrgToken,
    clientCertificates: tls?.clientCaFile !== undefined,
  });
  return { tls, auth, allowUnauthenticated: settings.GRPC_ALLOW_UNAUTHENTICATED };
}
