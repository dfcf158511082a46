import type { RegistryServiceServer } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { unary, type CallGate } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { CREDENTIAL_ID_PATTERN, checkOrgId, type CredentialStore } from '@switchboard/store';
import { credentialInfo, putCredential } from './credential-service.js';
import type { IntegrationService } from './integration-service.js';

export interface RegistryHandlerDeps {
  readonly integrations: IntegrationService;
  readonly credentials: CredentialStore;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  readonly serviceToken?: string | undefined;
  /** Counts calls for a draining shutdown and refuses new ones once it began. */
  readonly gate?: CallGate | undefined;
}

/** The gRPC surface: thin adapters from messages to the services' plain functions. */
export function registryHandlers(deps: RegistryHandlerDeps): RegistryServiceServer {
  const opts = (method: string) => ({ logger: deps.logger, serviceToken: deps.serviceToken, method, gate: deps.gate });
  const { integrations } = deps;
  return {
    createIntegration: unary(async (req) => ({ record: await integrations.create(req.orgId, req.integration) }), opts('CreateIntegration')),
    getIntegration: unary(async (req) => ({ record: await integrations.get(req.orgId, req.key, req.revision) }), opts('GetIntegration')),
    listIntegrations: unary(async (req) => ({ records: await integrations.list(req.orgId) }), opts('ListIntegrations')),
    updateIntegration: unary(
      async (req) => ({ record: await integrations.update(req.orgId, req.integration, req.expectedRevision) }),
      opts('UpdateIntegration'),
    ),
    deleteIntegration: unary(async (req) => {
      await integrations.delete(req.orgId, req.key, req.expectedRevision);
      return {};
    }, opts('DeleteIntegration')),
    listRevisions: unary(async (req) => ({ records: await integrations.history(req.orgId, req.key) }), opts('ListRevisions')),
    putCredential: unary(async (req) => {
      const credential = await putCredential(deps.credentials, deps.keyRing, req);
      deps.logger.info({ orgId: req.orgId, credentialId: req.credentialId, type: req.type }, 'credential stored');
      return { credential };
    }, opts('PutCredential')),
    listCredentials: unary(async (req) => {
      checkOrgId(req.orgId);
      return { credentials: (await deps.credentials.list(req.orgId)).map(credentialInfo) };
    }, opts('ListCredentials')),
    deleteCredential: unary(async (req) => {
      checkOrgId(req.orgId);
      if (!CREDENTIAL_ID_PATTERN.test(req.credentialId)) {
        throw new SwitchboardError('INVALID_CREDENTIAL_ID', 'credential_id must be 1-64 letters, digits, "_" or "-"', {
          fieldErrors: [{ field: 'credential_id', message: 'must be 1-64 letters, digits, "_" or "-"' }],
        });
      }
      if (!(await deps.credentials.delete(req.orgId, req.credentialId))) {
        throw new SwitchboardError('NOT_FOUND', `credential ${req.credentialId} does not exist in org ${req.orgId}`);
      }
      return {};
    }, opts('DeleteCredential')),
    listTools: unary((req) => integrations.tools(req.orgId, req.format), opts('ListTools')),
  };
}
