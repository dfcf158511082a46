import { isMap, isNode, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

/** Short names the document format accepts for a field (see document-schema.ts). */
const ALIASES: Readonly<Record<string, readonly string[]>> = { location: ['in'], default_value: ['default'], enum_values: ['enum'] };

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

/** The YAML node of each integration in a text, in the order parseIntegrationDocuments returns them. */
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

/**
 * Where a field (a registry field path such as `parameters[1].wire_name`) of the n-th integration in a
 * YAML or JSON text is written: the field itself, or its nearest written parent when it is absent
 * (a required value that is missing). 1-based line and column; undefined when nothing fits.
 */
export function positionOfField(text: string, index: number, field: string): { line: number; col: number } | undefined {
  const lines = new LineCounter();
  let node: Node | undefined = integrationNodes(text, lines)[index];
  if (!node) return undefined;
  for (const segment of segmentsOf(field)) {
    const next = child(node, segment);
    if (!next) break;
    node = next;
  }
  return node.range ? lines.linePos(node.range[0]) : undefined;
}
