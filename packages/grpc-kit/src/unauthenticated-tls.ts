import { SwitchboardError } from '@switchboard/errors';

/**
 * TLS that authenticates no caller looks protected while anyone who reaches the port may act for
 * every org: it is refused unless GRPC_ALLOW_UNAUTHENTICATED accepts it deliberately.
 */
export function refuseUnauthenticatedTls(tls: boolean, allowUnauthenticated: boolean): void {
  if (!tls || allowUnauthenticated) return;
  throw new SwitchboardError(
    'INVALID_CONFIG',
    'gRPC TLS is on but no caller is authenticated, so anyone who reaches the port could act for every org: set SERVICE_IDENTITIES ' +
      '(with SERVICE_TOKEN_<NAME> for each), SERVICE_TOKEN or GRPC_TLS_CLIENT_CA_FILE, or set GRPC_ALLOW_UNAUTHENTICATED=true to accept this deliberately',
  );
}
