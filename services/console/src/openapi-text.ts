import { importOpenApi, type ImportResult } from '@switchboard/openapi-import';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import { parse as parseYaml } from 'yaml';
import { stringField } from './http-io.js';

/** Pasted documents only: the console never fetches a URL, and the text is parsed here, never taken for a path. */
const MAX_DOCUMENT_CHARS = 900 * 1024;

function invalid(message: string, field = 'text'): SwitchboardError {
  return new SwitchboardError('INVALID_OPENAPI', message, { fieldErrors: [{ field, message }] });
}

function serverUrlOf(body: Record<string, unknown>): string | undefined {
  const raw = stringField(body, 'serverUrl', { optional: true, max: 2048 }).trim();
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute http(s) URL such as https://api.example.com/v1', 'serverUrl');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must be an http(s) URL', 'serverUrl');
  return raw;
}

/**
 * Reads the pasted OpenAPI document (YAML or JSON; the yaml package refuses alias bombs) and imports
 * every operation. importOpenApi gets the parsed object, so a pasted string is never read as a file
 * path or a URL; its external $refs are not followed either.
 */
export async function importPasted(body: Record<string, unknown>): Promise<ImportResult> {
  const text = stringField(body, 'text', { max: MAX_DOCUMENT_CHARS });
  const serverUrl = serverUrlOf(body);
  if (text.trim() === '') throw invalid('paste an OpenAPI 3.0 or 3.1 document');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw invalid(`the document is neither YAML nor JSON: ${first}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('the document is not an OpenAPI document (expected an object at the top level)');
  try {
    return await importOpenApi(parsed, serverUrl === undefined ? {} : { serverUrl });
  } catch (err) {
    if (isSwitchboardError(err)) throw invalid(err.message);
    throw invalid('the OpenAPI parser could not read this document');
  }
}
