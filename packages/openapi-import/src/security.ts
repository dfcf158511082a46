import { ApiKeyPlacement, Auth, AuthType } from '@switchboard/contracts';
import { headerNameProblem } from '@switchboard/definition';
import { arrayAt, isObject, objectAt, stringAt, type JsonObject } from './json.js';
import { credentialId } from './names.js';
import type { AuthChoice } from './types.js';

/** How to store the secret an auth needs: `switchboard credential set <id> --type <type>`. */
export interface CredentialNeed {
  readonly id: string;
  /** The CLI's --type word: api_key, bearer, basic, oauth2_client, mtls. */
  readonly type: string;
  readonly scheme: string;
}

export interface ChosenAuth {
  readonly auth: Auth | undefined;
  readonly credential: CredentialNeed | undefined;
  /** Alternatives the document offers that were not used, with why. */
  readonly unused: readonly { readonly what: string; readonly why: string }[];
  readonly notes: readonly string[];
}

export type AuthResult = { readonly ok: true; readonly value: ChosenAuth } | { readonly ok: false; readonly why: string };

type SchemeResult =
  | { ok: true; auth: Auth; credential: CredentialNeed; notes: string[] }
  | { ok: false; why: string };

const VALID_SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function oauth2(name: string, scheme: JsonObject, scopes: readonly string[], base: string): SchemeResult {
  const flows = objectAt(scheme, 'flows') ?? {};
  const flow = objectAt(flows, 'clientCredentials');
  const others = Object.keys(flows).filter((f) => f !== 'clientCredentials');
  if (flow === undefined) {
    return { ok: false, why: `OAuth 2 ${others.join(', ') || 'without flows'} needs a person to sign in or hand over a password; Switchboard runs the client credentials flow only` };
  }
  const tokenText = stringAt(flow, 'tokenUrl') ?? '';
  let tokenUrl: string;
  try {
    // OpenAPI: relative URLs are relative to the server URL.
    tokenUrl = new URL(tokenText, `${base}/`).href;
  } catch {
    return { ok: false, why: `its token URL ${tokenText} is not a URL` };
  }
  const notes: string[] = [];
  if (others.length > 0) notes.push(`security scheme ${name}: the client credentials flow is used (the document also offers ${others.join(', ')})`);
  const valid = scopes.filter((s) => VALID_SCOPE.test(s));
  if (valid.length < scopes.length) notes.push(`security scheme ${name}: scopes with spaces or quotes were left out`);
  const id = credentialId(name);
  return {
    ok: true,
    auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: id, oauth2: { tokenUrl, scopes: valid } }),
    credential: { id, type: 'oauth2_client', scheme: name },
    notes,
  };
}

function translateScheme(name: string, scheme: JsonObject, scopes: readonly string[], base: string): SchemeResult {
  const type = stringAt(scheme, 'type') ?? '';
  const id = credentialId(name);
  switch (type) {
    case 'apiKey': {
      const where = stringAt(scheme, 'in') ?? '';
      const keyName = stringAt(scheme, 'name') ?? '';
      if (where === 'cookie') return { ok: false, why: 'cookie auth: Switchboard sends no cookies' };
      if (where === 'header') {
        const problem = headerNameProblem(keyName);
        if (problem !== undefined) return { ok: false, why: `its header name ${problem}` };
      }
      if (where !== 'header' && where !== 'query') return { ok: false, why: `an API key in "${where}" is not supported` };
      return {
        ok: true,
        auth: Auth.fromPartial({
          type: AuthType.AUTH_TYPE_API_KEY,
          credentialId: id,
          apiKeyIn: where === 'query' ? ApiKeyPlacement.API_KEY_PLACEMENT_QUERY : ApiKeyPlacement.API_KEY_PLACEMENT_HEADER,
          apiKeyName: keyName,
        }),
        credential: { id, type: 'api_key', scheme: name },
        notes: [],
      };
    }
    case 'http': {
      const httpScheme = (stringAt(scheme, 'scheme') ?? '').toLowerCase();
      if (httpScheme === 'bearer') {
        return { ok: true, auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_BEARER, credentialId: id }), credential: { id, type: 'bearer', scheme: name }, notes: [] };
      }
      if (httpScheme === 'basic') {
        return { ok: true, auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_BASIC, credentialId: id }), credential: { id, type: 'basic', scheme: name }, notes: [] };
      }
      return { ok: false, why: `HTTP ${httpScheme || '(no scheme)'} authentication is not supported (bearer and basic are)` };
    }
    case 'oauth2':
      return oauth2(name, scheme, scopes, base);
    case 'openIdConnect':
      return { ok: false, why: 'OpenID Connect signs in a person; Switchboard calls APIs as the business (API key, bearer, basic or OAuth 2 client credentials)' };
    case 'mutualTLS':
      return {
        ok: true,
        auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_NONE, mtlsCredentialId: id }),
        credential: { id, type: 'mtls', scheme: name },
        notes: [],
      };
    default:
      return { ok: false, why: `security scheme type "${type}" is not known` };
  }
}

/**
 * The auth for an operation from its security requirements (the operation's, else the document's):
 * the first alternative Switchboard can send (API key in a header or the query, HTTP bearer, HTTP
 * basic, OAuth 2 client credentials with its token URL and scopes, mutual TLS), with the credential
 * id derived from the scheme name. An empty requirement means the API may be called without auth.
 * When no alternative can be sent the operation cannot be imported, and `why` says what it needs.
 */
export function chooseAuth(requirements: unknown[] | undefined, schemes: JsonObject | undefined, base: string): AuthResult {
  const alternatives = (requirements ?? []).filter(isObject);
  if (alternatives.length === 0) return { ok: true, value: { auth: undefined, credential: undefined, unused: [], notes: [] } };
  const refused: { what: string; why: string }[] = [];
  let anonymous = false;
  let chosen: Extract<SchemeResult, { ok: true }> | undefined;
  const notesOfOthers: string[] = [];
  for (const requirement of alternatives) {
    const names = Object.keys(requirement);
    if (names.length === 0) {
      anonymous = true;
      continue;
    }
    const what = `security ${names.join(' + ')}`;
    if (names.length > 1) {
      refused.push({ what, why: 'needs several schemes at once; an integration sends one' });
      continue;
    }
    const name = names[0] as string;
    const scheme = schemes === undefined ? undefined : objectAt(schemes, name);
    if (scheme === undefined) {
      refused.push({ what, why: 'is not defined in components.securitySchemes' });
      continue;
    }
    const scopes = (arrayAt(requirement, name) ?? []).filter((s): s is string => typeof s === 'string');
    const result = translateScheme(name, scheme, scopes, base);
    if (!result.ok) {
      refused.push({ what: `security scheme ${name}`, why: result.why });
      continue;
    }
    if (chosen === undefined) chosen = result;
    else notesOfOthers.push(`security scheme ${name} is accepted too; ${chosen.credential.scheme} is used`);
  }
  if (chosen !== undefined) {
    return { ok: true, value: { auth: chosen.auth, credential: chosen.credential, unused: refused, notes: [...chosen.notes, ...notesOfOthers] } };
  }
  if (anonymous) return { ok: true, value: { auth: undefined, credential: undefined, unused: refused, notes: [] } };
  return { ok: false, why: refused.map((r) => `${r.what}: ${r.why}`).join('; ') };
}

/** The auth the integrator chose (ImportOptions.auth) as an Auth and the credential it needs. */
export function chosenAuth(choice: AuthChoice, fallbackId: string): ChosenAuth {
  const id = choice.kind === 'none' ? '' : (choice.credentialId ?? fallbackId);
  const scheme = 'the --auth choice';
  switch (choice.kind) {
    case 'none':
      return { auth: undefined, credential: undefined, unused: [], notes: [] };
    case 'bearer':
      return { auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_BEARER, credentialId: id }), credential: { id, type: 'bearer', scheme }, unused: [], notes: [] };
    case 'basic':
      return { auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_BASIC, credentialId: id }), credential: { id, type: 'basic', scheme }, unused: [], notes: [] };
    case 'api_key':
      return {
        auth: Auth.fromPartial({
          type: AuthType.AUTH_TYPE_API_KEY,
          credentialId: id,
          apiKeyIn: choice.in === 'query' ? ApiKeyPlacement.API_KEY_PLACEMENT_QUERY : ApiKeyPlacement.API_KEY_PLACEMENT_HEADER,
          apiKeyName: choice.name,
        }),
        credential: { id, type: 'api_key', scheme },
        unused: [],
        notes: [],
      };
    case 'oauth2_client':
      return {
        auth: Auth.fromPartial({ type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: id, oauth2: { tokenUrl: choice.tokenUrl, scopes: [...(choice.scopes ?? [])] } }),
        credential: { id, type: 'oauth2_client', scheme },
        unused: [],
        notes: [],
      };
    case 'document':
      throw new Error('a credential id alone is applied to the document\'s own auth');
  }
}

/** The document's auth with its credential renamed (`--auth-credential` alone). */
export function renameCredential(chosen: ChosenAuth, credentialId: string): ChosenAuth {
  if (chosen.auth === undefined || chosen.credential === undefined) return chosen;
  const auth = Auth.fromPartial({ ...chosen.auth });
  if (auth.credentialId !== '') auth.credentialId = credentialId;
  if (auth.mtlsCredentialId !== '') auth.mtlsCredentialId = credentialId;
  return { ...chosen, auth, credential: { ...chosen.credential, id: credentialId } };
}

/** Header and query parameter names that carry an API key: `X-API-Key`, `api_key`, `X-Auth-Token`... */
const KEY_NAME = /^(x-)?(api[-_]?key|apikey|api[-_]?token|auth[-_]?token|access[-_]?token|subscription[-_]?key|app[-_]?key)$/i;

/** Whether a header or query parameter of the document is a credential, not something the model should supply. */
export function credentialParameter(where: string, name: string): 'bearer' | 'api_key' | undefined {
  if (where === 'header' && name.toLowerCase() === 'authorization') return 'bearer';
  if ((where === 'header' || where === 'query') && KEY_NAME.test(name)) return 'api_key';
  return undefined;
}
