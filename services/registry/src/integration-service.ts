import {
  ToolFormat,
  type Integration,
  type IntegrationRecord,
  type ListToolsResponse,
} from '@switchboard/contracts';
import { exportTools, validateIntegration } from '@switchboard/definition';
import { SwitchboardError, describeFieldProblems } from '@switchboard/errors';
import { checkOrgId, type IntegrationStore } from '@switchboard/store';

/** Refuses a definition with every problem named by its field path; nothing is written. */
export function assertValidIntegration(integration: Integration | undefined): Integration {
  if (!integration) {
    throw new SwitchboardError('INVALID_DEFINITION', 'integration is required', {
      fieldErrors: [{ field: 'integration', message: 'is required' }],
    });
  }
  const problems = validateIntegration(integration);
  if (problems.length > 0) {
    throw new SwitchboardError('INVALID_DEFINITION', `integration ${integration.key || '(no key)'} is invalid: ${describeFieldProblems(problems)}`, {
      fieldErrors: problems,
    });
  }
  return integration;
}

function requireKey(key: string): string {
  if (!key) throw new SwitchboardError('INVALID_KEY', 'key is required', { fieldErrors: [{ field: 'key', message: 'is required' }] });
  return key;
}

export class IntegrationService {
  constructor(private readonly store: IntegrationStore) {}

  create(orgId: string, integration: Integration | undefined): Promise<IntegrationRecord> {
    checkOrgId(orgId);
    return this.store.create(orgId, assertValidIntegration(integration));
  }

  get(orgId: string, key: string, revision: number): Promise<IntegrationRecord> {
    checkOrgId(orgId);
    return this.store.get(orgId, requireKey(key), revision);
  }

  list(orgId: string): Promise<IntegrationRecord[]> {
    checkOrgId(orgId);
    return this.store.list(orgId);
  }

  update(orgId: string, integration: Integration | undefined, expectedRevision: number): Promise<IntegrationRecord> {
    checkOrgId(orgId);
    return this.store.update(orgId, assertValidIntegration(integration), expectedRevision);
  }

  delete(orgId: string, key: string, expectedRevision: number): Promise<void> {
    checkOrgId(orgId);
    return this.store.delete(orgId, requireKey(key), expectedRevision);
  }

  history(orgId: string, key: string): Promise<IntegrationRecord[]> {
    checkOrgId(orgId);
    return this.store.history(orgId, requireKey(key));
  }

  async tools(orgId: string, format: ToolFormat): Promise<ListToolsResponse> {
    checkOrgId(orgId);
    const records = await this.store.list(orgId);
    const integrations = records.flatMap((r) => (r.integration ? [r.integration] : []));
    const name = format === ToolFormat.TOOL_FORMAT_ANTHROPIC ? 'anthropic' : format === ToolFormat.TOOL_FORMAT_MCP ? 'mcp' : 'openai';
    const exported = exportTools(integrations, name);
    return {
      tools: exported.tools.map((t) => ({ name: t.name, description: t.description, inputSchemaJson: JSON.stringify(t.inputSchema) })),
      documentJson: JSON.stringify(exported.document),
    };
  }
}
