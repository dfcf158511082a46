import { Integration } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import { LineCounter, isNode, parseAllDocuments, type Document } from 'yaml';
import { INTEGRATION_SPEC, type FieldSpec, type MessageSpec } from './document-schema.js';
import { formatPath, normaliseMessage, type DocumentProblem, type PathSegment } from './document-normalize.js';
import { enumNameOf } from './enum-names.js';
import { isPlainObject } from './parameter-value.js';

export interface ParsedIntegrations {
  /** The definitions that were read cleanly. Apply nothing while `problems` is not empty. */
  readonly integrations: Integration[];
  readonly problems: FieldProblem[];
}

interface Entry {
  readonly doc: Document;
  /** Where the integration sits in its YAML document, e.g. ['integrations', 2]. */
  readonly base: readonly PathSegment[];
  readonly raw: unknown;
}

function where(doc: Document, path: readonly PathSegment[], lines: LineCounter, fileName: string): string {
  // The offending key may hold an alias or be absent: fall back to the nearest node that exists.
  for (let n = path.length; n >= 0; n -= 1) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return ` (at ${fileName}:${line}:${col})`;
    }
  }
  return '';
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}

/** Splits the YAML stream into integrations: one per document, or several under `integrations:` or in a list. */
function entriesOf(doc: Document, index: number, fileName: string, problems: FieldProblem[]): Entry[] {
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // yaml refuses alias bombs here ("Excessive alias count").
    problems.push({ field: `${fileName}#${index + 1}`, message: err instanceof Error ? err.message : String(err) });
    return [];
  }
  if (raw === null || raw === undefined) return [];
  if (Array.isArray(raw)) return (raw as unknown[]).map((item, i) => ({ doc, base: [i], raw: item }));
  if (isPlainObject(raw) && Object.hasOwn(raw, 'integrations')) {
    const list: unknown = raw['integrations'];
    const extra = Object.keys(raw).filter((k) => k !== 'integrations');
    if (extra.length > 0) {
      problems.push({ field: `${fileName}#${index + 1}`, message: `a document with integrations: holds nothing else, found ${extra.join(', ')}` });
    }
    if (!Array.isArray(list)) {
      problems.push({ field: `${fileName}#${index + 1}`, message: 'integrations: must be a list' });
      return [];
    }
    return (list as unknown[]).map((item, i) => ({ doc, base: ['integrations', i], raw: item }));
  }
  return [{ doc, base: [], raw }];
}

/**
 * Reads the integrator's YAML or JSON file (JSON is YAML): several `---` documents, a document with
 * `integrations: [...]`, or a list. Field names may be snake_case or camelCase, enums short names
 * (`GET`, `path`, `date-time`) or proto names. Everything unknown or mistyped is a problem with its
 * path and line; a definition is returned only when it was read without one. Rules that concern the
 * meaning of a definition are validateIntegration's, not this function's.
 */
export function parseIntegrationDocuments(text: string, fileName: string): ParsedIntegrations {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  const problems: FieldProblem[] = [];
  const entries: Entry[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.linePos?.[0];
        problems.push({ field: pos ? `${fileName}:${pos.line}:${pos.col}` : fileName, message: firstLine(err.message) });
      }
      return;
    }
    entries.push(...entriesOf(doc, index, fileName, problems));
  });
  if (entries.length === 0 && problems.length === 0) {
    problems.push({ field: fileName, message: 'holds no integration definitions' });
  }
  const several = entries.length > 1;
  const integrations: Integration[] = [];
  const keys = new Map<string, number>();
  entries.forEach((entry, n) => {
    const { value, problems: found } = normaliseMessage(INTEGRATION_SPEC, entry.raw, []);
    const key = isPlainObject(entry.raw) && typeof entry.raw['key'] === 'string' && entry.raw['key'] !== '' ? entry.raw['key'] : undefined;
    const prefix = several ? (key === undefined ? `[${n}]` : key) : '';
    const report = (p: DocumentProblem): void => {
      const path = formatPath(p.path);
      const field = prefix === '' ? path || '(definition)' : path === '' ? prefix : `${prefix}.${path}`;
      problems.push({ field, message: `${p.message}${where(entry.doc, [...entry.base, ...p.path], lines, fileName)}` });
    };
    if (key !== undefined) {
      const first = keys.get(key);
      if (first !== undefined) report({ path: ['key'], message: `"${key}" is defined more than once in this file` });
      else keys.set(key, n);
    }
    found.forEach(report);
    if (value === undefined || found.length > 0) return;
    integrations.push(Integration.fromJSON(value));
  });
  return { integrations, problems };
}

function printValue(spec: FieldSpec, value: unknown): unknown {
  const kind = spec.type;
  switch (kind.kind) {
    case 'string':
      return value === '' ? undefined : value;
    case 'bool':
      if (spec.defaultTrue) return value === false ? false : undefined;
      return value === true ? true : undefined;
    case 'uint':
    case 'double':
      return value === undefined || (value === 0 && !spec.explicit) ? undefined : value;
    case 'enum':
      return typeof value !== 'number' || value === 0 ? undefined : (enumNameOf(kind.names, value) ?? 'UNRECOGNIZED');
    case 'message': {
      const out = isPlainObject(value) ? printMessage(kind.fields, value) : {};
      return Object.keys(out).length === 0 ? undefined : out;
    }
    case 'repeated':
      if (!Array.isArray(value) || value.length === 0) return undefined;
      return value.map((item: unknown) =>
        kind.of.kind === 'message' && isPlainObject(item) ? printMessage(kind.of.fields, item) : item,
      );
    case 'list':
      return Array.isArray(value) && value.length > 0 ? value : undefined;
    case 'string_map':
      return isPlainObject(value) && Object.keys(value).length > 0 ? value : undefined;
    case 'json':
    case 'struct':
      return value === null ? undefined : value;
  }
}

function printMessage(spec: MessageSpec, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec) {
    const printed = printValue(f, message[f.camel]);
    if (printed !== undefined) out[f.snake] = printed;
  }
  return out;
}

/**
 * The definition in the friendly format: snake_case names, short enum names, zero values left out.
 * Stringified as YAML or JSON, parseIntegrationDocuments reads it back to the same definition.
 */
export function integrationToDocument(integration: Integration): Record<string, unknown> {
  return printMessage(INTEGRATION_SPEC, { ...integration });
}
