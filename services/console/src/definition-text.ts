import { stringify } from 'yaml';
import type { Integration } from '@switchboard/contracts';
import { integrationToDocument, parseIntegrationDocuments, positionOfField, validateIntegration } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';

/** A problem with the definition being edited, by the registry's field path, with the editor line when known. */
export interface DefinitionProblem {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
}

const FILE = 'definition';
/** The 1-based line where a field is written, or where its nearest written parent is. */
export function lineOfField(text: string, field: string): number | undefined {
  return positionOfField(text, 0, field)?.line;
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
