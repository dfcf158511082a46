// The form's Authentication section: auth type, credential, and the fields of API key and OAuth 2 auth.
import { h } from './dom.js';
import { fieldset, get, input, listText, parseList, put, putSub, select, setOrDelete, sub, text, type DefinitionDocument, type FormChoices, type FormFields, type FormSection } from './form-kit.js';

const OAUTH_TYPES = new Set(['oauth2_client_credentials', 'oauth2_refresh_token']);

export function authSection(fields: FormFields): FormSection {
  const credential = input('f-auth-credential_id', { spellcheck: 'false', autocapitalize: 'off' });
  const apiKeyName = input('f-auth-api_key_name', { spellcheck: 'false' });
  const tokenUrl = input('f-auth-oauth2-token_url', { spellcheck: 'false', inputmode: 'url' });
  const scopes = input('f-auth-oauth2-scopes', { spellcheck: 'false' });
  const apiKeyGroup = h('div', { id: 'f-auth-api-key', class: 'form-group' });
  const oauthGroup = h('div', { id: 'f-auth-oauth2', class: 'form-group' });
  let authType = select('f-auth-type', [], '');
  let apiKeyIn = select('f-auth-api_key_in', [], '');

  const section: FormSection = {
    load(doc: DefinitionDocument, c: FormChoices) {
      const authDoc = sub(doc, 'auth');
      authType = select('f-auth-type', c.auth, text(authDoc['type']));
      authType.addEventListener('change', () => section.applyVisibility?.());
      credential.value = text(get(authDoc, 'credential_id'));
      apiKeyIn = select('f-auth-api_key_in', c.apiKeyIn, text(get(authDoc, 'api_key_in')));
      apiKeyName.value = text(get(authDoc, 'api_key_name'));
      const oauth = sub(authDoc, 'oauth2');
      tokenUrl.value = text(get(oauth, 'token_url'));
      scopes.value = listText(get(oauth, 'scopes'));
      apiKeyGroup.replaceChildren(
        fields.row('API key placement', 'auth.api_key_in', apiKeyIn),
        fields.row('API key name', 'auth.api_key_name', apiKeyName, 'The header or query parameter that carries the key, e.g. X-Api-Key.'),
      );
      oauthGroup.replaceChildren(
        fields.row('Token URL', 'auth.oauth2.token_url', tokenUrl, 'The OAuth 2 token endpoint, https://….'),
        fields.row('Scopes', 'auth.oauth2.scopes', scopes, 'Comma or space separated.'),
      );
      return [
        fieldset(
          'Authentication',
          'f-auth',
          fields.row('Auth type', 'auth.type', authType),
          fields.row('Credential id', 'auth.credential_id', credential, 'The credential that holds the secret (set its value on the Credentials page).'),
          apiKeyGroup,
          oauthGroup,
        ),
      ];
    },
    read(out: DefinitionDocument) {
      const authDoc = sub(out, 'auth');
      setOrDelete(authDoc, 'type', authType.value);
      put(authDoc, 'credential_id', credential.value.trim());
      if (!apiKeyGroup.hidden) {
        put(authDoc, 'api_key_in', apiKeyIn.value);
        put(authDoc, 'api_key_name', apiKeyName.value.trim());
      }
      if (!oauthGroup.hidden) {
        const oauth = sub(authDoc, 'oauth2');
        put(oauth, 'token_url', tokenUrl.value.trim());
        const list = parseList(scopes.value, /[,\s]+/);
        put(oauth, 'scopes', list.length > 0 ? list : undefined);
        putSub(authDoc, 'oauth2', oauth);
      }
      putSub(out, 'auth', authDoc);
    },
    applyVisibility() {
      apiKeyGroup.hidden = authType.value !== 'api_key';
      oauthGroup.hidden = !OAUTH_TYPES.has(authType.value);
    },
  };
  return section;
}
