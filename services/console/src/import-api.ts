import { fromServiceError } from '@switchboard/client';
import type { Integration } from '@switchboard/contracts';
import { BURDEN_LEVEL_NAMES, HTTP_METHOD_NAMES } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { groupSkipped } from '@switchboard/openapi-import';
import type { ApiHandler } from './api-context.js';
import { definitionToYaml } from './definition-text.js';
import { grpc } from './grpc-errors.js';
import { errorBody } from './http-io.js';
import { importPasted } from './openapi-text.js';

const MAX_ITEMS = 500;

function candidate(i: Integration, existing: number | undefined) {
  return {
    key: i.key,
    name: i.name,
    description: i.description,
    method: HTTP_METHOD_NAMES.printed.get(i.method) ?? 'GET',
    urlTemplate: i.urlTemplate,
    burden: BURDEN_LEVEL_NAMES.printed.get(i.burden?.level ?? 0) ?? 'conversational',
    yaml: definitionToYaml(i),
    /** The revision already stored under this key in the org, or null when applying creates it. */
    existingRevision: existing ?? null,
  };
}

/** What the pasted document would create or update in the session's org, and what it leaves out and why. Writes nothing. */
export const previewImport: ApiHandler = async (req, deps) => {
  const result = await importPasted(await req.body());
  const records = await grpc(() => deps.registryFor(req.session.orgId).list());
  const revisions = new Map(records.filter((r) => r.integration).map((r) => [r.integration!.key, r.revision]));
  return {
    body: {
      integrations: result.integrations.map((i) => candidate(i, revisions.get(i.key))),
      skipped: result.skipped,
      /** The same, one entry per reason (as the CLI prints them): what the Import view shows first. */
      skippedGroups: groupSkipped(result.skipped),
      notes: result.notes,
    },
  };
};

interface ApplyItem {
  readonly key: string;
  readonly expectedRevision: number | undefined;
}

function itemsOf(body: Record<string, unknown>): ApplyItem[] {
  const raw = body['items'];
  const bad = (message: string) => new SwitchboardError('INVALID_REQUEST', message, { fieldErrors: [{ field: 'items', message }] });
  if (!Array.isArray(raw) || raw.length === 0) throw bad('select at least one integration to import');
  if (raw.length > MAX_ITEMS) throw bad(`at most ${MAX_ITEMS} integrations at once`);
  return raw.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) throw bad('each item is {key, expectedRevision?}');
    const { key, expectedRevision } = item as Record<string, unknown>;
    if (typeof key !== 'string' || key === '') throw bad('each item names a key');
    if (expectedRevision !== undefined && expectedRevision !== null && (typeof expectedRevision !== 'number' || !Number.isSafeInteger(expectedRevision) || expectedRevision < 1)) {
      throw bad(`${key}: expectedRevision must be the revision shown in the preview`);
    }
    return { key, expectedRevision: typeof expectedRevision === 'number' ? expectedRevision : undefined };
  });
}

/**
 * Imports the selected operations into the session's org: the document is translated again here
 * (the browser names keys, never definitions); a key with an expected revision is an update on top
 * of exactly that revision (someone else's save is a conflict), any other is a create.
 */
export const applyImport: ApiHandler = async (req, deps) => {
  const body = await req.body();
  const items = itemsOf(body);
  const result = await importPasted(body);
  const byKey = new Map(result.integrations.map((i) => [i.key, i]));
  const unknown = items.filter((it) => !byKey.has(it.key)).map((it) => it.key);
  if (unknown.length > 0) {
    throw new SwitchboardError('INVALID_REQUEST', `the document does not produce ${unknown.join(', ')}`, { fieldErrors: [{ field: 'items', message: `unknown keys: ${unknown.join(', ')}` }] });
  }
  const registry = deps.registryFor(req.session.orgId);
  const results = [];
  for (const item of items) {
    const integration = byKey.get(item.key)!;
    try {
      const record = item.expectedRevision === undefined ? await registry.create(integration) : await registry.update(integration, item.expectedRevision);
      results.push({ key: item.key, ok: true, action: item.expectedRevision === undefined ? 'created' : 'updated', revision: record.revision });
    } catch (err) {
      const { body: error } = errorBody(fromServiceError(err, 'registry'));
      results.push({ key: item.key, ok: false, ...error });
    }
  }
  return { body: { results } };
};
