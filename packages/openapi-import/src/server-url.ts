import { arrayAt, isObject, objectAt, objectEntries, stringAt, type JsonObject } from './json.js';

export type ServerBase = { readonly ok: true; readonly url: string; readonly notes: readonly string[] } | { readonly ok: false; readonly why: string };

function checkAbsolute(text: string, what: string): ServerBase {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, why: `${what} ${text} is not an absolute URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, why: `${what} ${text} is not an http(s) URL` };
  if (url.username !== '' || url.password !== '') return { ok: false, why: `${what} carries a user name or password: use a security scheme and a credential` };
  if (url.search !== '' || url.hash !== '') return { ok: false, why: `${what} ${text} has a query or fragment, which a base URL cannot have` };
  // URL() percent-encodes braces; an unresolved {variable} must not slip through as %7B...%7D.
  if (/[{}]|%7[bd]/i.test(url.pathname)) return { ok: false, why: `${what} ${text} still has a {variable} without a value` };
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, notes: [] };
}

/** Replaces `{name}` with each server variable's default. */
function substitute(server: JsonObject): { url: string } | { why: string } {
  const template = stringAt(server, 'url') ?? '/';
  const variables = objectAt(server, 'variables');
  let missing: string | undefined;
  const url = template.replace(/\{([^}]*)\}/g, (_m, name: string) => {
    const variable = variables === undefined ? undefined : objectAt(variables, name);
    const value = variable === undefined ? undefined : stringAt(variable, 'default');
    if (value === undefined) {
      missing ??= name;
      return '';
    }
    return value;
  });
  return missing === undefined ? { url } : { why: `server URL ${template} has variable {${missing}} without a default` };
}

/**
 * The base URL an operation is called at: `override` when given, else the first of the servers
 * that apply (the operation's, its path's, or the document's; "/" when none is listed), with its
 * variables' defaults substituted and a relative URL resolved against the URL the document was read
 * from. Later servers are named in a note.
 */
export function serverBase(servers: unknown[] | undefined, sourceUrl: URL | undefined, override: string | undefined): ServerBase {
  if (override !== undefined) return checkAbsolute(override, 'the server URL given');
  const list = (servers ?? []).filter(isObject);
  const first: JsonObject = list[0] ?? { url: '/' };
  const substituted = substitute(first);
  if ('why' in substituted) return { ok: false, why: substituted.why };
  const notes: string[] = [];
  if (list.length > 1) {
    const others = list.slice(1).map((s) => stringAt(s, 'url') ?? '?');
    notes.push(`the first server (${stringAt(first, 'url') ?? '/'}) is used; the document also lists ${others.join(', ')}: import with another server URL to use one of those`);
  }
  for (const [name, variable] of objectEntries(objectAt(first, 'variables'))) {
    const choices = arrayAt(variable, 'enum');
    if (choices !== undefined && choices.length > 1) {
      notes.push(`server variable {${name}} is set to its default "${stringAt(variable, 'default') ?? ''}" (also allowed: ${choices.filter((c) => c !== variable['default']).join(', ')})`);
    }
  }
  let absolute: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(substituted.url)) {
    absolute = substituted.url;
  } else if (sourceUrl !== undefined) {
    absolute = new URL(substituted.url, sourceUrl).href;
  } else {
    return {
      ok: false,
      why: `the server URL "${substituted.url}" is relative and the document was not read from a URL: give the API's base URL (serverUrl, or --server on the command line)`,
    };
  }
  const checked = checkAbsolute(absolute, 'server URL');
  return checked.ok ? { ok: true, url: checked.url, notes } : checked;
}

/** The URL template for a path under a base: `{placeholders}` renamed as `rename` says. */
export function urlTemplate(base: string, path: string, rename: (placeholder: string) => string): string {
  const renamed = path.replace(/\{([^}]*)\}/g, (_m, name: string) => `{${rename(name)}}`);
  return `${base}${renamed.startsWith('/') ? '' : '/'}${renamed}`;
}
