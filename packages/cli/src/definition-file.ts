import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isNode, isSeq, parseAllDocuments, type Node } from 'yaml';
import type { Integration } from '@switchboard/contracts';
import { parseIntegrationDocuments, validateIntegration } from '@switchboard/definition';
import type { FieldProblem } from '@switchboard/errors';
import { UsageError } from './errors.js';

/** A definition file as read: its text (for positions) and the integrations in it, in file order. */
export interface DefinitionFile {
  readonly file: string;
  readonly text: string;
  readonly integrations: Integration[];
}

/** Short names the file format accepts for a field (see the definition package's document schema). */
const ALIASES: Record<string, readonly string[]> = {
  location: ['in'],
  default_value: ['default'],
  enum_values: ['enum'],
};

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** `parameters[1].wire_name` as segments: ['parameters', 1, 'wire_name']. */
function segmentsOf(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of field.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return out;
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The YAML node of each integration in the file, in the order parseIntegrationDocuments returns them. */
function integrationNodes(text: string, lines: LineCounter): Node[] {
  const nodes: Node[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    const root = doc.contents;
    if (!isNode(root)) continue;
    if (isSeq(root)) {
      for (const item of root.items) if (isNode(item)) nodes.push(item);
    } else if (isMap(root) && root.has('integrations')) {
      const list = root.get('integrations', true);
      if (isSeq(list)) for (const item of list.items) if (isNode(item)) nodes.push(item);
    } else {
      nodes.push(root);
    }
  }
  return nodes;
}

function child(node: Node, segment: string | number): Node | undefined {
  if (typeof segment === 'number') {
    const item: unknown = isSeq(node) ? node.items[segment] : undefined;
    return isNode(item) ? item : undefined;
  }
  if (!isMap(node)) return undefined;
  for (const name of [segment, camel(segment), ...(ALIASES[segment] ?? [])]) {
    const value: unknown = node.get(name, true);
    if (isNode(value)) return value;
  }
  return undefined;
}

/**
 * Where a field of the n-th integration is written, as " (at file:line:col)": the field itself, or
 * the nearest enclosing node when the field is absent (e.g. a required value that is missing).
 */
export function positionOf(file: DefinitionFile, index: number, field: string): string {
  const lines = new LineCounter();
  let node: Node | undefined = integrationNodes(file.text, lines)[index];
  if (!node) return '';
  for (const segment of segmentsOf(field)) {
    const next = child(node, segment);
    if (!next) break;
    node = next;
  }
  if (!node.range) return '';
  const { line, col } = lines.linePos(node.range[0]);
  return ` (at ${file.file}:${line}:${col})`;
}

/** Reads a YAML or JSON definition file; syntax and shape problems are a UsageError with lines. */
export async function readDefinitionFile(file: string): Promise<DefinitionFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { integrations, problems } = parseIntegrationDocuments(text, file);
  if (problems.length > 0) {
    throw new UsageError([`${file} has problems:`, ...problems.map((p) => `  ${p.field}: ${p.message}`)].join('\n'));
  }
  if (integrations.length === 0) throw new UsageError(`${file} holds no integration`);
  return { file, text, integrations };
}

/**
 * The registry's own validation, run before anything is sent: a file with one bad definition applies
 * nothing, and every problem is shown with the line it is on.
 */
export function checkDefinitions(file: DefinitionFile): void {
  const lines: string[] = [];
  file.integrations.forEach((integration, index) => {
    const problems: FieldProblem[] = validateIntegration(integration);
    if (problems.length === 0) return;
    lines.push(`  ${integration.key || `integration #${index + 1}`}:`);
    for (const p of problems) lines.push(`    ${p.field}: ${p.message}${positionOf(file, index, p.field)}`);
  });
  if (lines.length > 0) throw new UsageError([`${file.file} is not valid; nothing was applied:`, ...lines].join('\n'));
}
