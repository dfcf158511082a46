import { CREDENTIAL_ID_PATTERN, CREDENTIAL_ID_RULE } from '@switchboard/contracts';
import type { RegistryServiceServer } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { UnaryHandlers, type CallerAuth, type CallGate } from '@switchboard/grpc-kit';
import type { Logger } from '@switchboard/logging';
import { checkOrgId, type CredentialStore } from '@switchboard/store';
import { credentialInfo, putCredential } from './credential-service.js';
import type { IntegrationService } from './integration-service.js';

export interface RegistryHandlerDeps {
  readonly integrations: IntegrationService;
  readonly credentials: CredentialStore;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  /** Who may call which method for which org. */
  readonly auth?: CallerAuth | undefined;
  /** Counts calls for a draining shutdown and refuses new ones once it began. */
  readonly gate: CallGate;
}

/** The gRPC surface: thin adapters from messages to the services' plain functions. */
export function registryHandlers(deps: RegistryHandlerDeps): RegistryServiceServer {
  const h = new UnaryHandlers({ service: 'registry', logger: deps.logger, auth: deps.auth, gate: deps.gate });
  const { integrations } = deps;
  return {
    createIntegration: h.unary('CreateIntegration', async (req) => ({ record: await integrations.create(req.orgId, req.integration) })),
    getIntegration: h.unary('GetIntegration', async (req) => ({ record: await integrations.get(req.orgId, req.key, req.revision) })),
    listIntegrations: h.unary('ListIntegrations', async (req) => ({ records: await integrations.list(req.orgId) })),
    updateIntegration: h.unary('UpdateIntegration', async (req) => ({
      record: await integrations.update(req.orgId, req.integration, req.expectedRevision),
    })),
    deleteIntegration: h.unary('DeleteIntegration', async (req) => {
      await integrations.delete(req.orgId, req.key, req.expectedRevision);
      return {};
    }),
    listRevisions: h.unary('ListRevisions', async (req) => ({ records: await integrations.history(req.orgId, req.key) })),
    putCredential: h.unary('PutCredential', async (req) => {
      const credential = await putCredential(deps.credentials, deps.keyRing, req);
      deps.logger.info({ orgId: req.orgId, credentialId: req.credentialId, type: req.type }, 'credential stored');
      return { credential };
    }),
    listCredentials: h.unary('ListCredentials', async (req) => {
      checkOrgId(req.orgId);
      return { credentials: (await deps.credentials.list(req.orgId)).map(credentialInfo) };
    }),
    deleteCredential: h.unary('DeleteCredential', async (req) => {
      checkOrgId(req.orgId);
      if (!CREDENTIAL_ID_PATTERN.test(req.credentialId)) {
        throw new SwitchboardError('INVALID_CREDENTIAL_ID', `credential_id ${CREDENTIAL_ID_RULE}`, {
          fieldErrors: [{ field: 'credential_id', message: CREDENTIAL_ID_RULE }],
        });
      }
      if (!(await deps.credentials.delete(req.orgId, req.credentialId))) {
        throw new SwitchboardError('NOT_FOUND', `credential ${req.credentialId} does not exist in org ${req.orgId}`);
      }
      return {};
    }),
    listTools: h.unary('ListTools', (req) => integrations.tools(req.orgId, req.format, { pageSize: req.pageSize, pageToken: req.pageToken, strict: req.strict })),
  };
}
