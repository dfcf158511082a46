import type { IntegrationRecord } from '@switchboard/contracts';
import { BURDEN_LEVEL_NAMES, HTTP_METHOD_NAMES } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import type { LastCall } from './audit-index.js';
import { definitionToYaml, parseDefinitionText, withLines } from './definition-text.js';
import { grpc } from './grpc-errors.js';
import { stringField } from './http-io.js';

const MAX_TEXT = 256 * 1024;

function hostOf(template: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(template)?.[1] ?? '';
}

function row(record: IntegrationRecord, last: LastCall | undefined) {
  const i = record.integration!;
  return {
    key: i.key,
    name: i.name,
    method: HTTP_METHOD_NAMES.printed.get(i.method) ?? 'GET',
    host: hostOf(i.urlTemplate),
    burden: BURDEN_LEVEL_NAMES.printed.get(i.burden?.level ?? 0) ?? 'conversational',
    enabled: i.enabled,
    revision: record.revision,
    updatedAt: record.updatedAt?.toISOString() ?? null,
    lastCall: last ?? null,
    breakerState: last?.breakerState || 'no live calls',
  };
}

function detail(record: IntegrationRecord) {
  const i = record.integration!;
  return {
    key: i.key,
    name: i.name,
    revision: record.revision,
    updatedAt: record.updatedAt?.toISOString() ?? null,
    yaml: definitionToYaml(i),
    sampleArguments: i.sampleArguments ?? {},
  };
}

export const listIntegrations: ApiHandler = async (req, deps) => {
  const orgId = req.session.orgId;
  const [records, last] = await Promise.all([grpc(() => deps.registryFor(orgId).list()), deps.audit.lastCalls(orgId)]);
  return { body: { integrations: records.filter((r) => r.integration).map((r) => row(r, last.get(r.integration!.key))) } };
};

export const getIntegration: ApiHandler = async (req, deps) => {
  const record = await grpc(() => deps.registryFor(req.session.orgId).get(req.params[0]!));
  return { body: detail(record) };
};

export const createIntegration: ApiHandler = async (req, deps) => {
  const text = stringField(await req.body(), 'text', { max: MAX_TEXT });
  const integration = parseDefinitionText(text);
  try {
    const record = await grpc(() => deps.registryFor(req.session.orgId).create(integration));
    return { status: 201, body: detail(record) };
  } catch (err) {
    throw withLines(err, text);
  }
};

/** Saves an edit only on top of the revision the editor loaded: someone else's save is reported, never overwritten. */
export const updateIntegration: ApiHandler = async (req, deps) => {
  const body = await req.body();
  const text = stringField(body, 'text', { max: MAX_TEXT });
  const expected = body['expectedRevision'];
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 1) {
    throw new SwitchboardError('INVALID_REQUEST', 'expectedRevision must be the revision the edit started from', {
      fieldErrors: [{ field: 'expectedRevision', message: 'must be a positive integer' }],
    });
  }
  const integration = parseDefinitionText(text);
  const key = req.params[0]!;
  if (integration.key !== key) {
    throw new SwitchboardError('INVALID_DEFINITION', `the key must stay ${key}; create a new integration for another key`, {
      fieldErrors: [{ field: 'key', message: `must stay ${key}` }],
    });
  }
  try {
    // Scoped to the session's org: another org's key reads as missing (404), never as a create.
    const record = await grpc(() => deps.registryFor(req.session.orgId).update(integration, expected));
    return { body: detail(record) };
  } catch (err) {
    throw withLines(err, text);
  }
};

export const deleteIntegration: ApiHandler = async (req, deps) => {
  await grpc(() => deps.registryFor(req.session.orgId).delete(req.params[0]!));
  return { status: 204, body: null };
};
