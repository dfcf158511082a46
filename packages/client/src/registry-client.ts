import {
  RegistryServiceClient,
  ToolFormat,
  type CredentialInfo,
  type CredentialType,
  type Integration,
  type IntegrationRecord,
  type ListToolsResponse,
} from '@switchboard/contracts';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { PromiseClient } from './promise-client.js';
import { joinToolPages } from './tool-pages.js';

const TIMEOUT_MS = 10_000;
/** The registry's largest ListTools page: fewest round trips, each well under gRPC's 4 MiB. */
const TOOLS_PAGE_SIZE = 1000;

/** The registry's RPCs as promises, scoped to one org. */
export class RegistryClient {
  private readonly c: PromiseClient<RegistryServiceClient>;

  constructor(options: ClientTransportOptions, readonly orgId: string) {
    this.c = new PromiseClient(RegistryServiceClient, options);
  }

  private get r(): RegistryServiceClient {
    return this.c.raw;
  }

  async create(integration: Integration): Promise<IntegrationRecord> {
    return (await this.c.call('createIntegration', { orgId: this.orgId, integration }, TIMEOUT_MS)).record!;
  }

  async get(key: string, revision = 0): Promise<IntegrationRecord> {
    return (await this.c.call('getIntegration', { orgId: this.orgId, key, revision }, TIMEOUT_MS)).record!;
  }

  async list(): Promise<IntegrationRecord[]> {
    return (await this.c.call('listIntegrations', { orgId: this.orgId }, TIMEOUT_MS)).records;
  }

  async update(integration: Integration, expectedRevision: number): Promise<IntegrationRecord> {
    return (await this.c.call('updateIntegration', { orgId: this.orgId, integration, expectedRevision }, TIMEOUT_MS)).record!;
  }

  async delete(key: string, expectedRevision = 0): Promise<void> {
    await this.c.call('deleteIntegration', { orgId: this.orgId, key, expectedRevision }, TIMEOUT_MS);
  }

  async history(key: string): Promise<IntegrationRecord[]> {
    return (await this.c.call('listRevisions', { orgId: this.orgId, key }, TIMEOUT_MS)).records;
  }

  async putCredential(credentialId: string, type: CredentialType, secret: Record<string, string>): Promise<CredentialInfo> {
    return (await this.c.call('putCredential', { orgId: this.orgId, credentialId, type, secret }, TIMEOUT_MS)).credential!;
  }

  async listCredentials(): Promise<CredentialInfo[]> {
    return (await this.c.call('listCredentials', { orgId: this.orgId }, TIMEOUT_MS)).credentials;
  }

  async deleteCredential(credentialId: string): Promise<void> {
    await this.c.call('deleteCredential', { orgId: this.orgId, credentialId }, TIMEOUT_MS);
  }

  /** One page of ListTools (page_size 0: the registry's default). */
  toolsPage(format: ToolFormat, page: { pageSize?: number; pageToken?: string; strict?: boolean } = {}): Promise<ListToolsResponse> {
    return this.c.call('listTools',
      { orgId: this.orgId, format, strict: page.strict ?? false, pageSize: page.pageSize ?? 0, pageToken: page.pageToken ?? '' },
      TIMEOUT_MS,
    );
  }

  /** Every tool of the org, read page by page (a large org's list does not fit one gRPC message). */
  async tools(format: ToolFormat = ToolFormat.TOOL_FORMAT_OPENAI, options: { strict?: boolean } = {}): Promise<ListToolsResponse> {
    const pages: ListToolsResponse[] = [];
    let pageToken = '';
    do {
      const page = await this.toolsPage(format, { pageSize: TOOLS_PAGE_SIZE, pageToken, strict: options.strict ?? false });
      pages.push(page);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return joinToolPages(format, pages);
  }

  close(): void {
    this.c.close();
  }
}
