import { type Integration, INTEGRATION_KEY_PATTERN, INTEGRATION_KEY_RULE, type IntegrationRecord, type ListToolsResponse, ToolFormat } from '@switchboard/contracts';
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

/**
 * The key as a caller supplied it, checked before it reaches the KV store: "*" or ">" would be a
 * subject wildcard there (ListRevisions would read every key of the org) and "a.b" another token.
 */
function requireKey(key: string): string {
  if (!key) throw new SwitchboardError('INVALID_KEY', 'key is required', { fieldErrors: [{ field: 'key', message: 'is required' }] });
  if (!INTEGRATION_KEY_PATTERN.test(key)) {
    throw new SwitchboardError('INVALID_KEY', `key ${INTEGRATION_KEY_RULE}`, { fieldErrors: [{ field: 'key', message: INTEGRATION_KEY_RULE }] });
  }
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
    const valid = assertValidIntegration(integration);
    // Without the revision the writer read, a second writer would silently overwrite the first.
    if (!(expectedRevision > 0)) {
      throw new SwitchboardError('INVALID_REVISION', 'expected_revision is required: pass the revision you read (GetIntegration)', {
        fieldErrors: [{ field: 'expected_revision', message: 'must be the revision you read' }],
      });
    }
    return this.store.update(orgId, valid, expectedRevision);
  }

  delete(orgId: string, key: string, expectedRevision: number): Promise<void> {
    checkOrgId(orgId);
    return this.store.delete(orgId, requireKey(key), expectedRevision);
  }

  history(orgId: string, key: string): Promise<IntegrationRecord[]> {
    checkOrgId(orgId);
    return this.store.history(orgId, requireKey(key));
  }

  /**
   * The org's enabled integrations as tools, one page at a time in key order: `pageToken` is the
   * last key of the page before (base64url), so a page is stable while definitions change.
   */
  async tools(orgId: string, format: ToolFormat, page: ToolsPage = {}): Promise<ListToolsResponse> {
    checkOrgId(orgId);
    const size = toolsPageSize(page.pageSize ?? 0);
    const after = page.pageToken === undefined || page.pageToken === '' ? '' : decodePageToken(page.pageToken);
    const { records, lastKey } = await this.store.listPage(orgId, after, size);
    // Disabled integrations are not tools: a page may hold fewer than `size`, and the next one goes on.
    const slice = records.flatMap((r) => (r.integration?.enabled === true ? [r.integration] : []));
    const name = format === ToolFormat.TOOL_FORMAT_ANTHROPIC ? 'anthropic' : format === ToolFormat.TOOL_FORMAT_MCP ? 'mcp' : 'openai';
    const exported = exportTools(slice, name, { strict: page.strict === true });
    return {
      tools: exported.tools.map((t) => ({ name: t.name, description: t.description, inputSchemaJson: JSON.stringify(t.inputSchema) })),
      documentJson: JSON.stringify(exported.document),
      nextPageToken: lastKey === '' ? '' : Buffer.from(lastKey).toString('base64url'),
    };
  }
}

/** How ListTools pages: its size, where to start, and OpenAI strict mode. */
export interface ToolsPage {
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly strict?: boolean;
}

export const DEFAULT_TOOLS_PAGE_SIZE = 500;
export const MAX_TOOLS_PAGE_SIZE = 1000;

function toolsPageSize(requested: number): number {
  if (requested === 0) return DEFAULT_TOOLS_PAGE_SIZE;
  if (requested > MAX_TOOLS_PAGE_SIZE) {
    throw new SwitchboardError('INVALID_PAGE_SIZE', `page_size must be at most ${MAX_TOOLS_PAGE_SIZE}`, {
      fieldErrors: [{ field: 'page_size', message: `must be at most ${MAX_TOOLS_PAGE_SIZE}` }],
    });
  }
  return requested;
}

function decodePageToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!INTEGRATION_KEY_PATTERN.test(key)) {
    throw new SwitchboardError('INVALID_PAGE_TOKEN', 'page_token is not one ListTools returned', {
      fieldErrors: [{ field: 'page_token', message: 'must be the next_page_token of the page before' }],
    });
  }
  return key;
}
