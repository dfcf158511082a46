import { isMap, LineCounter, parseDocument, stringify } from 'yaml';
import {
  API_KEY_PLACEMENT_NAMES,
  AUTH_TYPE_NAMES,
  BURDEN_LEVEL_NAMES,
  CACHE_SCOPE_NAMES,
  HTTP_METHOD_NAMES,
  PARAMETER_LOCATION_NAMES,
  PARAMETER_TYPE_NAMES,
  STRING_FORMAT_NAMES,
} from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { ApiHandler } from './api-context.js';
import { stringField } from './http-io.js';

const MAX_TEXT = 256 * 1024;

/** The choices the form's selects offer, named as the definition format writes them. */
const CHOICES = {
  method: [...HTTP_METHOD_NAMES.printed.values()],
  burden: [...BURDEN_LEVEL_NAMES.printed.values()],
  type: [...PARAMETER_TYPE_NAMES.printed.values()],
  location: [...PARAMETER_LOCATION_NAMES.printed.values()],
  auth: [...AUTH_TYPE_NAMES.printed.values()],
  apiKeyIn: [...API_KEY_PLACEMENT_NAMES.printed.values()],
  format: [...STRING_FORMAT_NAMES.printed.values()],
  cacheScope: [...CACHE_SCOPE_NAMES.printed.values()],
};

/**
 * The editor's text as a plain document object, for the form view (the browser has no YAML parser).
 * Only syntax is checked here: the form also opens a definition that does not validate yet.
 */
export const definitionDocument: ApiHandler = async (req) => {
  const text = stringField(await req.body(), 'text', { max: MAX_TEXT });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new SwitchboardError('INVALID_DEFINITION', 'the text is not valid YAML or JSON; fix it before opening the form', {
      fieldErrors: doc.errors.map((e) => ({ field: '(syntax)', message: e.message.split('\n')[0] ?? '', line: lines.linePos(e.pos[0]).line })),
    });
  }
  if (!isMap(doc.contents)) {
    throw new SwitchboardError('INVALID_DEFINITION', 'the form edits one integration: a mapping of fields', { fieldErrors: [{ field: '(definition)', message: 'must be one integration (a mapping of fields)' }] });
  }
  return { body: { document: doc.toJS({ maxAliasCount: 100 }) as unknown, choices: CHOICES } };
};

/** The form's document back as editor YAML (the file format the CLI applies). */
export const definitionText: ApiHandler = async (req) => {
  const document = (await req.body())['document'];
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new SwitchboardError('INVALID_REQUEST', 'document must be an object', { fieldErrors: [{ field: 'document', message: 'must be an object' }] });
  }
  return { body: { text: stringify(document, { lineWidth: 0 }) } };
};
