import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SwitchboardError } from '@switchboard/errors';
import { parse as parseYaml } from 'yaml';
import { dereferenceInPlace } from './broken-refs.js';
import { isObject, stringAt, type JsonObject } from './json.js';

/** A fully dereferenced OpenAPI 3.0 or 3.1 document and where it came from. */
export interface LoadedDocument {
  readonly doc: JsonObject;
  readonly version: '3.0' | '3.1';
  /** The URL it was read from: relative server URLs resolve against it. */
  readonly sourceUrl: URL | undefined;
  /** For messages: the path, the URL, or "the document". */
  readonly label: string;
  /** $refs that could not be followed: what uses them is left out, the rest imports. */
  readonly problems: readonly string[];
}

const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

function invalid(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('INVALID_OPENAPI', message, { cause });
}

/** Loopback only: an import never makes Switchboard's host fetch from the network at large. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

async function fetchText(url: URL): Promise<string> {
  if (!isLoopbackHost(url.hostname)) {
    throw new SwitchboardError('OPENAPI_SOURCE_NOT_ALLOWED', `${url.href} is not on this machine: download the document and import the file, or serve it on loopback`);
  }
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/yaml, application/json;q=0.9, */*;q=0.1' } });
  } catch (err) {
    throw new SwitchboardError('OPENAPI_SOURCE_UNREADABLE', `cannot fetch ${url.href}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!res.ok) throw new SwitchboardError('OPENAPI_SOURCE_UNREADABLE', `cannot fetch ${url.href}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_DOCUMENT_BYTES) throw invalid(`${url.href} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const text = await res.text();
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) throw invalid(`${url.href} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  return text;
}

async function readSource(source: string): Promise<{ text: string; sourceUrl: URL | undefined }> {
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new SwitchboardError('OPENAPI_SOURCE_UNREADABLE', `${source} is not a valid URL`);
    }
    return { text: await fetchText(url), sourceUrl: url };
  }
  const file = /^file:/i.test(source) ? fileURLToPath(source) : source;
  try {
    const buffer = await readFile(file);
    if (buffer.length > MAX_DOCUMENT_BYTES) throw invalid(`${file} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    return { text: buffer.toString('utf8'), sourceUrl: undefined };
  } catch (err) {
    if (err instanceof SwitchboardError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new SwitchboardError('OPENAPI_SOURCE_UNREADABLE', `cannot read ${file}: ${code}`, { cause: err });
  }
}

function parseText(text: string, label: string): unknown {
  try {
    // JSON is YAML, so one parser reads both; the yaml package refuses duplicate keys and alias bombs.
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw invalid(`${label} is neither YAML nor JSON: ${first}`, err);
  }
}

function versionOf(raw: JsonObject, label: string): '3.0' | '3.1' {
  const openapi = stringAt(raw, 'openapi');
  if (openapi === undefined) {
    if (raw['swagger'] !== undefined) throw invalid(`${label} is Swagger 2.0: convert it to OpenAPI 3 first (e.g. with swagger2openapi)`);
    throw invalid(`${label} has no "openapi" version field: it is not an OpenAPI document`);
  }
  if (/^3\.0\.\d+$/.test(openapi)) return '3.0';
  if (/^3\.1\.\d+$/.test(openapi)) return '3.1';
  throw invalid(`${label} is OpenAPI ${openapi}: only 3.0 and 3.1 are read`);
}

/**
 * Reads an OpenAPI 3.0 or 3.1 document (a file path, a loopback http(s) URL, or an already parsed
 * object) and dereferences every internal $ref. Only a document that cannot be read as OpenAPI
 * 3.0/3.1 at all is refused. The document is not validated as a whole: published documents often
 * break the specification in a few places (an operation without `responses`, a path parameter its
 * path lacks), and the import judges each operation on its own instead. $refs that cannot be
 * followed (to nothing, or to another file, which is never fetched) come back in `problems`, and
 * what uses them is left out with the reason.
 */
export async function loadDocument(source: string | object): Promise<LoadedDocument> {
  let raw: unknown;
  let sourceUrl: URL | undefined;
  let label: string;
  if (typeof source === 'string') {
    const read = await readSource(source);
    sourceUrl = read.sourceUrl;
    label = source;
    raw = parseText(read.text, label);
  } else {
    label = 'the document';
    raw = source;
  }
  if (!isObject(raw)) throw invalid(`${label} is not an OpenAPI document (expected an object at the top level)`);
  const version = versionOf(raw, label);
  // Dereferencing changes the document in place: a parsed object the caller gave is copied first.
  const doc = typeof source === 'string' ? raw : structuredClone(raw);
  const problems = dereferenceInPlace(doc).map((ref) =>
    ref.startsWith('#')
      ? `$ref ${ref} points to nothing in the document: what uses it is left out`
      : `$ref ${ref} is in another file, which is not followed (bundle the document first, e.g. \`npx @redocly/cli bundle\`): what uses it is left out`,
  );
  return { doc, version, sourceUrl, label, problems };
}
