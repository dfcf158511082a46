import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { groupSkipped, importOpenApi, type ImportResult } from '@switchboard/openapi-import';
import { applyCommand } from './apply-command.js';
import type { GlobalOptions, Print } from './connection.js';
import { UsageError } from './errors.js';
import { authChoiceOf, type ImportAuthFlags } from './import-auth.js';

export interface ImportOpenApiFlags extends ImportAuthFlags {
  /** Print the whole result as JSON instead of the summary. */
  readonly json?: boolean;
  /** Only these operations (operationId, integration key, or "METHOD /path"). */
  readonly operation?: string[];
  readonly tag?: string[];
  /** A .yaml/.yml/.json file for one multi-document file, or a directory for one file per integration. */
  readonly out?: string;
  /** Create or update the definitions in the registry, as `switchboard apply` does. */
  readonly apply?: boolean;
  /** The API's base URL, instead of the document's first server. */
  readonly server?: string;
}

interface OutputFile {
  readonly file: string;
  readonly text: string;
}

const SINGLE_FILE = /\.(ya?ml|json)$/i;

/** The notes that concern one integration, without the key they start with. */
function notesFor(result: ImportResult, key: string): string[] {
  const prefix = `${key}: `;
  return result.notes.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
}

/** One YAML document per integration, headed by comments saying where it came from and what to review. */
function render(result: ImportResult, source: string, index: number, file: string): string {
  const key = result.integrations[index]!.key;
  const header = [
    `# Imported from ${source} by \`switchboard import openapi\`: review before applying.`,
    ...notesFor(result, key).map((n) => `# - ${n}`),
    `# Apply with: switchboard apply -f ${file}`,
  ];
  return `${header.join('\n')}\n${toYaml(result.documents[index], { lineWidth: 0 })}`;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Where the definitions go: one file per integration in a directory, or one multi-document file. */
async function plan(result: ImportResult, source: string, out: string): Promise<OutputFile[]> {
  if (SINGLE_FILE.test(out) && !(await isDirectory(out))) {
    const text = result.integrations.map((_i, n) => render(result, source, n, out)).join('---\n');
    return [{ file: out, text }];
  }
  return result.integrations.map((integration, n) => {
    const file = path.join(out, `${integration.key}.yaml`);
    return { file, text: render(result, source, n, file) };
  });
}

const EXAMPLES_PER_GROUP = 3;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function report(result: ImportResult, source: string, print: Print): void {
  const count = result.integrations.length;
  const refused = result.skipped.filter((s) => s.what === 'operation').length;
  print(`imported ${plural(count, 'operation')} from ${source}${refused > 0 ? `; ${refused} not imported` : ''}`);
  for (const i of result.integrations) print(`  ${i.key.padEnd(32)} ${i.name}`);
  const operations = groupSkipped(result.skipped.filter((s) => s.what === 'operation'));
  const parts = groupSkipped(result.skipped.filter((s) => s.what !== 'operation'));
  if (operations.length > 0) {
    print('not imported (--json lists every one):');
    for (const g of operations) {
      const shown = g.operations.slice(0, EXAMPLES_PER_GROUP).join(', ');
      const more = g.operations.length > EXAMPLES_PER_GROUP ? `, … ${g.operations.length - EXAMPLES_PER_GROUP} more` : '';
      print(`  ${plural(g.operations.length, 'operation')}: ${g.why} (${shown}${more})`);
    }
  }
  if (parts.length > 0) {
    print('left out of imported operations:');
    for (const g of parts) {
      const where = `${g.operations.slice(0, EXAMPLES_PER_GROUP).join(', ')}${g.operations.length > EXAMPLES_PER_GROUP ? ', …' : ''}`;
      print(`  ${g.what} in ${plural(g.operations.length, 'operation')} (${where}): ${g.why}`);
    }
  }
  const general = result.notes.filter((n) => !result.integrations.some((i) => n.startsWith(`${i.key}: `)));
  const warnings = result.notes.filter((n) => n.includes('WARNING'));
  if (general.length > 0 || warnings.length > 0) {
    print('review:');
    for (const n of [...new Set([...general, ...warnings])]) print(`  ${n}`);
  }
  const perIntegration = result.notes.length - general.length;
  if (perIntegration > 0) print(`(${plural(perIntegration, 'more note')} on single definitions are in the files' comments and in --json)`);
}

/**
 * `switchboard import openapi <file or loopback URL>`: translates an OpenAPI 3.0/3.1 document into
 * integration definitions, writes them as YAML that `switchboard apply` reads (one file per
 * integration, or one multi-document file with --out x.yaml), or applies them with --apply through
 * the same create-or-update as `switchboard apply`. Prints what could not be translated and why.
 */
export async function importOpenApiCommand(globals: GlobalOptions, source: string, opts: ImportOpenApiFlags, print: Print): Promise<void> {
  const auth = authChoiceOf(opts);
  const result = await importOpenApi(source, {
    ...(opts.operation === undefined ? {} : { operations: opts.operation }),
    ...(opts.tag === undefined ? {} : { tags: opts.tag }),
    ...(opts.server === undefined ? {} : { serverUrl: opts.server }),
    ...(auth === undefined ? {} : { auth }),
  });
  if (opts.json === true) print(JSON.stringify({ definitions: result.documents, skipped: result.skipped, notes: result.notes }, null, 2));
  else report(result, source, print);
  if (result.integrations.length === 0) throw new UsageError('nothing in the document could be imported (see "not translated" above)');

  // --apply alone writes only a temporary file, which apply reads exactly as it reads the integrator's.
  const scratch = opts.apply === true && opts.out === undefined ? await mkdtemp(path.join(tmpdir(), 'switchboard-import-')) : undefined;
  try {
    const files = await plan(result, source, scratch === undefined ? (opts.out ?? '.') : path.join(scratch, 'imported.yaml'));
    for (const f of files) {
      await mkdir(path.dirname(f.file), { recursive: true });
      await writeFile(f.file, f.text, 'utf8');
      if (scratch === undefined && opts.json !== true) print(`wrote ${f.file}`);
    }
    if (opts.apply === true) {
      for (const f of files) await applyCommand(globals, f.file, print);
    } else if (opts.json !== true) {
      const target = files.length === 1 ? files[0]!.file : path.join(path.dirname(files[0]!.file), '<key>.yaml');
      print(`next: store the credentials named above, then: switchboard apply -f ${target}`);
    }
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
