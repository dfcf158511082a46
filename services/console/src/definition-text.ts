import { isMap, isNode, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import type { Integration } from '@switchboard/contracts';
import { integrationToDocument, parseIntegrationDocuments, validateIntegration } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';

/** A problem with the definition being edited, by the registry's field path, with the editor line when known. */
export interface DefinitionProblem {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
}

const FILE = 'definition';
const ALIASES: Readonly<Record<string, readonly string[]>> = { location: ['in'], default_value: ['default'], enum_values: ['enum'] };

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

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

/** The 1-based line where a field is written, or where its nearest written parent is. */
export function lineOfField(text: string, field: string): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  let node: Node | undefined = isNode(doc.contents) ? doc.contents : undefined;
  if (!node) return undefined;
  for (const segment of segmentsOf(field)) {
    const next = child(node, segment);
    if (!next) break;
    node = next;
  }
  return node.range ? lines.linePos(node.range[0]).line : undefined;
}

/** "url_template: must start with https:// (at definition:4:15)" → the message and line 4. */
function splitPosition(field: string, message: string): DefinitionProblem {
  const at = / \(at [^:()]+:(\d+):\d+\)$/.exec(message);
  if (at) return { field, message: message.slice(0, at.index), line: Number(at[1]) };
  const pos = /^[^:]+:(\d+):\d+$/.exec(field);
  return pos ? { field: '(syntax)', message, line: Number(pos[1]) } : { field, message };
}

function invalid(problems: DefinitionProblem[]): SwitchboardError {
  const first = problems[0]!;
  return new SwitchboardError('INVALID_DEFINITION', `the definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}; first: ${first.field}: ${first.message}`, {
    fieldErrors: problems,
  });
}

/**
 * Reads the editor's YAML or JSON into one integration, with the same checks the registry makes, so
 * every problem comes back at once, each by field path and line.
 */
export function parseDefinitionText(text: string): Integration {
  const { integrations, problems } = parseIntegrationDocuments(text, FILE);
  if (problems.length > 0) throw invalid(problems.map((p) => splitPosition(p.field, p.message)));
  if (integrations.length !== 1) throw invalid([{ field: '(definition)', message: 'the editor holds exactly one integration' }]);
  const integration = integrations[0]!;
  const found = validateIntegration(integration);
  if (found.length > 0) throw invalid(found.map((p) => ({ field: p.field, message: p.message, line: lineOfField(text, p.field) })));
  return integration;
}

/** Field errors from the registry get the editor line too. */
export function withLines(err: unknown, text: string): unknown {
  if (!(err instanceof SwitchboardError) || err.fieldErrors.length === 0) return err;
  return new SwitchboardError(err.reason, err.message, {
    fieldErrors: err.fieldErrors.map((p) => ({ field: p.field, message: p.message, line: lineOfField(text, p.field) })),
  });
}

/** A stored integration as editor text (YAML, the file format the CLI applies). */
export function definitionToYaml(integration: Integration): string {
  return stringify(integrationToDocument(integration), { lineWidth: 0 });
}
