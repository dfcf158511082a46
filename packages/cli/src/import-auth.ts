import type { AuthChoice } from '@switchboard/openapi-import';
import { UsageError } from './errors.js';

export interface ImportAuthFlags {
  /** bearer, basic, api_key, oauth2_client or none. */
  readonly auth?: string;
  readonly authCredential?: string;
  /** For api_key: the header that carries the key. */
  readonly authHeader?: string;
  /** For api_key: the query parameter that carries the key. */
  readonly authQuery?: string;
  /** For oauth2_client. */
  readonly authTokenUrl?: string;
  readonly authScope?: string[];
}

const KINDS = ['bearer', 'basic', 'api_key', 'oauth2_client', 'none'];

/** The --auth flags as the import's AuthChoice; undefined keeps the document's security. */
export function authChoiceOf(flags: ImportAuthFlags): AuthChoice | undefined {
  const credential = flags.authCredential === undefined ? {} : { credentialId: flags.authCredential };
  if (flags.auth === undefined) {
    if (flags.authHeader !== undefined || flags.authQuery !== undefined || flags.authTokenUrl !== undefined) {
      throw new UsageError('--auth-header, --auth-query and --auth-token-url go with --auth api_key or --auth oauth2_client');
    }
    return flags.authCredential === undefined ? undefined : { kind: 'document', credentialId: flags.authCredential };
  }
  switch (flags.auth) {
    case 'none':
      return { kind: 'none' };
    case 'bearer':
    case 'basic':
      return { kind: flags.auth, ...credential };
    case 'api_key': {
      if ((flags.authHeader === undefined) === (flags.authQuery === undefined)) {
        throw new UsageError('--auth api_key needs where the key goes: --auth-header X-API-Key or --auth-query api_key');
      }
      return flags.authHeader !== undefined
        ? { kind: 'api_key', in: 'header', name: flags.authHeader, ...credential }
        : { kind: 'api_key', in: 'query', name: flags.authQuery ?? '', ...credential };
    }
    case 'oauth2_client':
      if (flags.authTokenUrl === undefined) throw new UsageError('--auth oauth2_client needs the token endpoint: --auth-token-url https://…/oauth/token');
      return { kind: 'oauth2_client', tokenUrl: flags.authTokenUrl, scopes: flags.authScope ?? [], ...credential };
    default:
      throw new UsageError(`--auth must be one of ${KINDS.join(', ')} (not ${flags.auth})`);
  }
}
