import type { Integration } from '@switchboard/contracts';
import { integrationToDocument } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { unresolvedRef } from './broken-refs.js';
import { arrayAt, objectAt, objectEntries, stringAt, type JsonObject } from './json.js';
import { loadDocument } from './load-document.js';
import { integrationKey, uniqueName } from './names.js';
import { translateOperation } from './operation.js';
import { CannotTranslate, ImportReport } from './report.js';
import type { CredentialNeed } from './security.js';
import { serverBase } from './server-url.js';
import type { ImportOptions, ImportResult } from './types.js';

const PATH_ITEM_METHODS: readonly string[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation {
  readonly label: string;
  readonly operationId: string | undefined;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly pathItem: JsonObject;
  readonly operation: JsonObject;
}

function operationsOf(doc: JsonObject, report: ImportReport): Operation[] {
  const ops: Operation[] = [];
  const keys = new Set<string>();
  for (const [path, pathItem] of objectEntries(objectAt(doc, 'paths'))) {
    const broken = unresolvedRef(pathItem);
    if (broken !== undefined) {
      report.skip(path, 'path', `its path item refers to ${broken}, which cannot be followed`);
      continue;
    }
    for (const [method, operation] of objectEntries(pathItem)) {
      if (!PATH_ITEM_METHODS.includes(method)) continue;
      const operationId = stringAt(operation, 'operationId');
      const label = operationId ?? `${method.toUpperCase()} ${path}`;
      const wanted = integrationKey(operationId, method, path);
      // Two operations whose ids read the same: the second is told apart by its method and path,
      // which say what it is; a number is the last resort.
      const fromPath = integrationKey(undefined, method, path);
      const key = !keys.has(wanted) ? uniqueName(wanted, keys) : !keys.has(fromPath) ? uniqueName(fromPath, keys) : uniqueName(wanted, keys);
      if (key !== wanted) report.note(`${label}: its key would be ${wanted}, which another operation already has; it is ${key}`);
      ops.push({ label, operationId, key, method, path, pathItem, operation });
    }
  }
  return ops;
}

function matches(op: Operation, wanted: string): boolean {
  const [verb, ...rest] = wanted.trim().split(/\s+/);
  if (rest.length === 1 && verb !== undefined) return verb.toLowerCase() === op.method && rest[0] === op.path;
  return wanted === op.operationId || wanted === op.key;
}

/** The operations the options ask for; asking for one the document does not have is an error, not an empty import. */
function select(ops: readonly Operation[], options: ImportOptions): Operation[] {
  const names = options.operations ?? [];
  const tags = options.tags ?? [];
  const missing = names.filter((n) => !ops.some((op) => matches(op, n)));
  if (missing.length > 0) {
    throw new SwitchboardError('OPENAPI_OPERATION_NOT_FOUND', `the document has no operation ${missing.join(', ')} (name an operationId, the key it becomes, or "METHOD /path")`);
  }
  const tagged = (op: Operation) => (arrayAt(op.operation, 'tags') ?? []).some((t) => typeof t === 'string' && tags.includes(t));
  const missingTags = tags.filter((t) => !ops.some((op) => (arrayAt(op.operation, 'tags') ?? []).includes(t)));
  if (missingTags.length > 0) throw new SwitchboardError('OPENAPI_TAG_NOT_FOUND', `no operation in the document has tag ${missingTags.join(', ')}`);
  if (names.length === 0 && tags.length === 0) return [...ops];
  return ops.filter((op) => names.some((n) => matches(op, n)) || tagged(op));
}

function credentialNote(need: CredentialNeed, keys: readonly string[]): string {
  return `credential ${need.id} (security scheme ${need.scheme}, used by ${keys.join(', ')}): store it with \`switchboard credential set ${need.id} --type ${need.type}\``;
}

/**
 * Translates an OpenAPI 3.0 or 3.1 document (YAML or JSON; a file path, a loopback http(s) URL, or
 * a parsed object) into integration definitions, one per operation. The document is read and
 * dereferenced first (see loadDocument). Every definition returned passes validateIntegration;
 * an operation that cannot be made valid is in `skipped` with the reason, as is every construct
 * left out (callbacks, webhooks, cookie parameters, multipart bodies, unsupported auth...).
 */
export async function importOpenApi(source: string | object, options: ImportOptions = {}): Promise<ImportResult> {
  const loaded = await loadDocument(source);
  const { doc } = loaded;
  const report = new ImportReport();
  loaded.problems.forEach((p) => report.note(p));
  const all = operationsOf(doc, report);
  const selected = select(all, options);
  const filtered = (options.operations?.length ?? 0) > 0 || (options.tags?.length ?? 0) > 0;
  if (all.length === 0) report.note(`${loaded.label} describes no operations`);

  const integrations: Integration[] = [];
  const credentials = new Map<string, { need: CredentialNeed; keys: string[] }>();
  for (const op of selected) {
    const servers = arrayAt(op.operation, 'servers') ?? arrayAt(op.pathItem, 'servers') ?? arrayAt(doc, 'servers');
    const base = serverBase(servers, loaded.sourceUrl, options.serverUrl);
    if (!base.ok) {
      report.skip(op.label, 'operation', base.why);
      continue;
    }
    base.notes.forEach((n) => report.note(n));
    try {
      const translated = translateOperation({ ...op, doc, base: base.url, auth: options.auth });
      integrations.push(translated.integration);
      for (const s of translated.skipped) report.skip(op.label, s.what, s.why);
      for (const n of translated.notes) report.note(`${op.key}: ${n}`);
      const need = translated.credential;
      if (need !== undefined) {
        const entry = credentials.get(need.id) ?? { need, keys: [] };
        entry.keys.push(op.key);
        credentials.set(need.id, entry);
      }
    } catch (err) {
      if (!(err instanceof CannotTranslate)) throw err;
      report.skip(op.label, 'operation', err.why);
    }
  }
  if (!filtered) {
    for (const [name] of objectEntries(objectAt(doc, 'webhooks'))) {
      report.skip('(document)', `webhook ${name}`, 'a webhook is a request the API sends; Switchboard only makes calls');
    }
  }
  for (const { need, keys } of credentials.values()) report.note(credentialNote(need, keys));
  return { integrations, documents: integrations.map(integrationToDocument), skipped: report.skipped, notes: report.notes };
}

