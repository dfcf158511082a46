import { readFile } from 'node:fs/promises';
import type { Integration } from '@switchboard/contracts';
import { parseIntegrationDocuments, positionOfField, validateIntegration } from '@switchboard/definition';
import type { FieldProblem } from '@switchboard/errors';
import { UsageError } from './errors.js';

/** A definition file as read: its text (for positions) and the integrations in it, in file order. */
export interface DefinitionFile {
  readonly file: string;
  readonly text: string;
  readonly integrations: Integration[];
}

/**
 * Where a field of the n-th integration is written, as " (at file:line:col)": the field itself, or
 * the nearest enclosing node when the field is absent (e.g. a required value that is missing).
 */
export function positionOf(file: DefinitionFile, index: number, field: string): string {
  const at = positionOfField(file.text, index, field);
  return at ? ` (at ${file.file}:${at.line}:${at.col})` : '';
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
