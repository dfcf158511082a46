import { randomUUID } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import {
  CredentialType,
  Integration,
  InvokeResponse,
  Outcome,
  TestResponse,
  ToolFormat,
  credentialTypeToJSON,
  outcomeToJSON,
  type CallContext,
} from '@switchboard/contracts';
import type { RegistryClient } from '@switchboard/client';
import { integrationToDocument } from '@switchboard/definition';
import { executorClient, registryClient, type GlobalOptions } from './connection.js';
import { checkDefinitions, readDefinitionFile } from './definition-file.js';
import { UsageError } from './errors.js';
import { readSecret } from './read-secret.js';

type Print = (text: string) => void;

async function loadDefinitions(file: string): Promise<Integration[]> {
  return (await readDefinitionFile(file)).integrations;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 5;
}

/** Top-level fields whose value differs, for "what changes" output. */
function changedFields(before: Integration, after: Integration): string[] {
  const a = Integration.toJSON(before) as Record<string, unknown>;
  const b = Integration.toJSON(after) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export async function applyCommand(g: GlobalOptions, file: string, print: Print): Promise<void> {
  const read = await readDefinitionFile(file);
  // Every definition is checked before the first is sent: a bad file changes nothing.
  checkDefinitions(read);
  const definitions = read.integrations;
  const client = registryClient(g);
  try {
    for (const integration of definitions) {
      let current;
      try {
        current = await client.get(integration.key);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!current) {
        const created = await client.create(integration);
        print(`created   ${integration.key} (revision ${created.revision})`);
        continue;
      }
      const changes = changedFields(current.integration ?? Integration.fromPartial({}), integration);
      if (changes.length === 0) {
        print(`unchanged ${integration.key} (revision ${current.revision})`);
        continue;
      }
      const updated = await client.update(integration, current.revision);
      print(`updated   ${integration.key} (revision ${current.revision} -> ${updated.revision}): ${changes.join(', ')}`);
    }
    await warnUnsetCredentials(client, definitions, print);
  } finally {
    client.close();
  }
}

/** Says which credentials the applied definitions name but the registry does not hold yet, and how to set them. */
async function warnUnsetCredentials(client: RegistryClient, definitions: readonly Integration[], print: Print): Promise<void> {
  const held = new Set((await client.listCredentials()).map((c) => c.credentialId));
  const needed = new Map<string, string[]>();
  for (const i of definitions) {
    const ids = [i.auth?.credentialId ?? '', i.auth?.mtlsCredentialId ?? '', i.signingCredentialId].filter((id) => id !== '');
    for (const id of ids) needed.set(id, [...(needed.get(id) ?? []), i.key]);
  }
  for (const [id, keys] of needed) {
    if (held.has(id)) continue;
    print(`warning: credential ${id} (used by ${keys.join(', ')}) is not set: calls fail until you run \`switchboard credential set ${id} --type <type>\` with the secret on standard input`);
  }
}

export async function getCommand(g: GlobalOptions, key: string, output: string, revision: number, print: Print): Promise<void> {
  if (output !== 'yaml' && output !== 'json') throw new UsageError('-o must be yaml or json');
  if (!Number.isSafeInteger(revision) || revision < 0) throw new UsageError('--revision must be a revision number from `history`');
  const client = registryClient(g);
  try {
    const record = await client.get(key, revision);
    const doc = integrationToDocument(record.integration!);
    // Both outputs apply again as they are: the revision goes in a YAML comment, and JSON carries none.
    print(output === 'json' ? JSON.stringify(doc, null, 2) : `# revision ${record.revision}\n${toYaml(doc)}`);
  } finally {
    client.close();
  }
}

export async function listCommand(g: GlobalOptions, print: Print): Promise<void> {
  const client = registryClient(g);
  try {
    const records = await client.list();
    if (records.length === 0) print(`no integrations in org ${g.org}`);
    for (const r of records) {
      const i = r.integration!;
      print(`${i.key.padEnd(32)} ${i.enabled ? 'enabled ' : 'disabled'} rev ${String(r.revision).padEnd(5)} ${i.name}`);
    }
  } finally {
    client.close();
  }
}

export async function deleteCommand(g: GlobalOptions, key: string, print: Print): Promise<void> {
  const client = registryClient(g);
  try {
    await client.delete(key);
    print(`deleted ${key}`);
  } finally {
    client.close();
  }
}

export async function historyCommand(g: GlobalOptions, key: string, print: Print): Promise<void> {
  const client = registryClient(g);
  try {
    for (const r of await client.history(key)) {
      print(`rev ${String(r.revision).padEnd(6)} ${r.updatedAt?.toISOString() ?? ''} ${r.integration ? (r.integration.enabled ? 'enabled' : 'disabled') : 'deleted'}`);
    }
  } finally {
    client.close();
  }
}

const CREDENTIAL_TYPES: Record<string, { type: CredentialType; field?: string }> = {
  api_key: { type: CredentialType.CREDENTIAL_TYPE_API_KEY, field: 'value' },
  bearer: { type: CredentialType.CREDENTIAL_TYPE_BEARER, field: 'token' },
  signing_secret: { type: CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, field: 'value' },
  basic: { type: CredentialType.CREDENTIAL_TYPE_BASIC },
  custom_headers: { type: CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS },
  oauth2_client: { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT },
  mtls: { type: CredentialType.CREDENTIAL_TYPE_MTLS },
};

export async function credentialSetCommand(
  g: GlobalOptions,
  id: string,
  opts: { type: string; fromFile?: string },
  print: Print,
): Promise<void> {
  const spec = CREDENTIAL_TYPES[opts.type];
  if (!spec) throw new UsageError(`--type must be one of ${Object.keys(CREDENTIAL_TYPES).join(', ')}`);
  const text = await readSecret(opts.fromFile);
  let secret: Record<string, string>;
  if (spec.field) {
    secret = { [spec.field]: text };
  } else {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      secret = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      // Never echo the input: it is a secret even when malformed.
      throw new UsageError(`a ${opts.type} credential is read as a JSON object of its fields (e.g. {"username": "...", "password": "..."})`);
    }
  }
  const client = registryClient(g);
  try {
    const info = await client.putCredential(id, spec.type, secret);
    print(`stored ${info.credentialId} (${credentialTypeToJSON(info.type)}, ${info.hint}, key ${info.keyId})`);
  } finally {
    client.close();
  }
}

export async function credentialListCommand(g: GlobalOptions, print: Print): Promise<void> {
  const client = registryClient(g);
  try {
    for (const c of await client.listCredentials()) {
      print(`${c.credentialId.padEnd(32)} ${credentialTypeToJSON(c.type).padEnd(32)} ${c.hint.padEnd(10)} ${c.updatedAt?.toISOString() ?? ''}`);
    }
  } finally {
    client.close();
  }
}

export async function toolsCommand(g: GlobalOptions, format: string, flags: { strict?: boolean }, print: Print): Promise<void> {
  const formats: Record<string, ToolFormat> = {
    openai: ToolFormat.TOOL_FORMAT_OPENAI,
    anthropic: ToolFormat.TOOL_FORMAT_ANTHROPIC,
    mcp: ToolFormat.TOOL_FORMAT_MCP,
  };
  const f = formats[format];
  if (f === undefined) throw new UsageError('--format must be openai, anthropic or mcp');
  if (flags.strict === true && f !== ToolFormat.TOOL_FORMAT_OPENAI) throw new UsageError('--strict is for --format openai (OpenAI strict mode)');
  const client = registryClient(g);
  try {
    const res = await client.tools(f, { strict: flags.strict === true });
    if (res.tools.length === 0 && (await client.list()).length === 0) {
      throw new UsageError(`org ${g.org} has no integrations: check --org, or create one with \`switchboard --org ${g.org} apply -f <file>\``);
    }
    print(JSON.stringify(JSON.parse(res.documentJson), null, 2));
  } finally {
    client.close();
  }
}

export interface InvokeFlags {
  readonly args?: string;
  readonly callId?: string;
  readonly callerAsked?: boolean;
  readonly confirm?: string;
  readonly verifiedBy?: string;
  readonly callerNumber?: string;
  readonly json?: boolean;
}

function callContext(flags: InvokeFlags): CallContext {
  const [method = '', reference = ''] = (flags.verifiedBy ?? '').split(':');
  return {
    callerNumber: flags.callerNumber ?? '',
    calledNumber: '',
    orgTimeZone: '',
    callerRequest: flags.callerAsked ? { asked: true, utterance: '', turnRef: 'cli' } : undefined,
    verification: method ? { method, reference } : undefined,
    confirmationToken: flags.confirm ?? '',
  };
}

function describeInvoke(res: InvokeResponse): string {
  const lines = [`outcome: ${outcomeToJSON(res.outcome)}${res.reason ? ` (${res.reason})` : ''}${res.httpStatus ? `, HTTP ${res.httpStatus}` : ''}, ${res.latencyMs.toFixed(1)} ms`];
  if (res.outcome === Outcome.OUTCOME_SUCCESS) {
    lines.push(`result: ${res.resultJson}${res.resultTruncated ? ' (truncated)' : ''}`);
    if (res.summary) lines.push(`agent says: ${res.summary}`);
  } else {
    if (res.agentMessage) lines.push(`agent says: ${res.agentMessage}`);
    if (res.detail) lines.push(`detail: ${res.detail}`);
    for (const f of res.fieldErrors) lines.push(`  ${f.field}: ${f.message}`);
  }
  if (res.confirmation) lines.push(`confirm with: --confirm ${res.confirmation.token}`, `prompt: ${res.confirmation.prompt}`);
  return lines.join('\n');
}

export async function invokeCommand(g: GlobalOptions, key: string, flags: InvokeFlags, print: Print): Promise<void> {
  const client = executorClient(g);
  try {
    const res = await client.invoke({
      orgId: g.org,
      toolKey: key,
      callId: flags.callId ?? randomUUID(),
      argumentsJson: flags.args ?? '{}',
      context: callContext(flags),
    });
    print(flags.json ? JSON.stringify(InvokeResponse.toJSON(res), null, 2) : describeInvoke(res));
    if (res.outcome !== Outcome.OUTCOME_SUCCESS) process.exitCode = 2;
  } finally {
    client.close();
  }
}

export async function testCommand(g: GlobalOptions, key: string | undefined, flags: { args?: string; file?: string; json?: boolean }, print: Print): Promise<void> {
  let draft: Integration | undefined;
  if (flags.file) {
    const all = await loadDefinitions(flags.file);
    draft = key ? all.find((i) => i.key === key) : all[0];
    if (!draft) throw new UsageError(`${flags.file} has no integration ${key}`);
  } else if (!key) {
    throw new UsageError('name the integration to test, or pass -f with an unsaved definition');
  }
  const client = executorClient(g);
  try {
    const res = await client.test({ orgId: g.org, toolKey: key ?? '', integration: draft, argumentsJson: flags.args ?? '' });
    if (flags.json) {
      print(JSON.stringify(TestResponse.toJSON(res), null, 2));
      return;
    }
    const req = res.request;
    if (req) {
      print(`> ${req.method} ${req.url}`);
      for (const h of req.headers) print(`> ${h.name}: ${h.value}`);
      if (req.body) print(`>\n> ${req.body}`);
    }
    if (res.response) {
      print(`< HTTP ${res.response.status}`);
      for (const h of res.response.headers) print(`< ${h.name}: ${h.value}`);
      print(`<\n< ${res.response.body}${res.response.bodyTruncated ? ' …(truncated)' : ''}`);
    }
    if (res.latency) {
      print(`latency: total ${res.latency.totalMs.toFixed(1)} ms, connect ${res.latency.connectMs.toFixed(1)} ms, first byte ${res.latency.firstByteMs.toFixed(1)} ms`);
    }
    if (res.gateRequirement) print(`on a live call: ${res.gateRequirement}`);
    if (res.result) print(describeInvoke(res.result));
    // As invoke does: a script can tell a failed test from a passing one.
    if (res.result?.outcome !== Outcome.OUTCOME_SUCCESS) process.exitCode = 2;
  } finally {
    client.close();
  }
}
