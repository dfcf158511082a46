import { api, ApiError } from './api.js';
import { announce, h, show, when } from './dom.js';
import type { CredentialRow } from './types.js';

/** Secret fields per type (credential.proto); every one is write-only. */
const FIELDS: Readonly<Record<string, readonly { name: string; label: string; multiline?: boolean; optional?: boolean }[]>> = {
  api_key: [{ name: 'value', label: 'API key' }],
  bearer: [{ name: 'token', label: 'Bearer token' }],
  basic: [{ name: 'username', label: 'Username' }, { name: 'password', label: 'Password' }],
  signing_secret: [{ name: 'value', label: 'Signing secret' }],
  oauth2_client: [{ name: 'client_id', label: 'Client id' }, { name: 'client_secret', label: 'Client secret' }, { name: 'refresh_token', label: 'Refresh token', optional: true }],
  mtls: [{ name: 'cert_pem', label: 'Certificate (PEM)', multiline: true }, { name: 'key_pem', label: 'Private key (PEM)', multiline: true }, { name: 'ca_pem', label: 'CA (PEM)', multiline: true, optional: true }],
};

function tableOf(credentials: readonly CredentialRow[]): HTMLElement {
  if (credentials.length === 0) return h('p', { id: 'credentials-empty' }, 'No credentials yet.');
  return h(
    'table',
    { id: 'credentials-table' },
    h('caption', { class: 'visually-hidden' }, 'Credentials (values are never shown)'),
    h('thead', {}, h('tr', {}, ...['ID', 'Type', 'Hint', 'Last changed'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...credentials.map((c) => h('tr', { 'data-id': c.id }, h('th', { scope: 'row' }, c.id), h('td', {}, c.type), h('td', {}, h('code', {}, c.hint)), h('td', {}, when(c.updatedAt))))),
  );
}

/** Credentials are write-only: the page lists type, masked hint and time; a new value replaces the old one unseen. */
export async function credentialsView(): Promise<void> {
  const { credentials } = await api<{ credentials: CredentialRow[] }>('GET', '/api/credentials');
  const tableHolder = h('div', {}, tableOf(credentials));
  const idInput = h('input', { id: 'credential-id', name: 'credential-id', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_-]{0,63}', autocomplete: 'off' });
  const typeSelect = h('select', { id: 'credential-type', name: 'credential-type' }, ...Object.keys(FIELDS).map((t) => h('option', { value: t }, t)));
  const secretFields = h('div', { id: 'secret-fields' });
  const message = h('p', { id: 'credential-message', role: 'status' });
  const renderFields = () => {
    secretFields.replaceChildren();
    for (const f of FIELDS[typeSelect.value] ?? []) {
      const id = `secret-${f.name}`;
      const attrs = { id, name: id, autocomplete: 'new-password', spellcheck: 'false', required: !f.optional };
      secretFields.append(
        h('label', { for: id }, f.label + (f.optional ? ' (optional)' : '')),
        f.multiline ? h('textarea', { ...attrs, rows: 4, class: 'secret' }) : h('input', { ...attrs, type: 'password' }),
      );
    }
  };
  typeSelect.addEventListener('change', renderFields);
  renderFields();
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const secret: Record<string, string> = {};
        for (const el of secretFields.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) secret[el.id.replace(/^secret-/, '')] = el.value;
        api<CredentialRow>('PUT', `/api/credentials/${encodeURIComponent(idInput.value)}`, { type: typeSelect.value, secret })
          .then(async (saved) => {
            for (const el of secretFields.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) el.value = '';
            message.textContent = `Saved ${saved.id} (${saved.type}, ${saved.hint}).`;
            message.className = 'notice ok';
            announce(message.textContent);
            const fresh = await api<{ credentials: CredentialRow[] }>('GET', '/api/credentials');
            tableHolder.replaceChildren(tableOf(fresh.credentials));
          })
          .catch((err: unknown) => {
            message.textContent = `Not saved: ${err instanceof ApiError ? err.message : 'the console did not answer'}`;
            message.className = 'notice bad';
          });
      },
    },
    h('h2', {}, 'Set a credential'),
    h('p', { class: 'help' }, 'Values are sent once to be encrypted by the registry and are never shown again. Saving an existing ID replaces its value.'),
    h('label', { for: 'credential-id' }, 'ID'),
    idInput,
    h('label', { for: 'credential-type' }, 'Type'),
    typeSelect,
    secretFields,
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'save-credential' }, 'Save credential')),
    message,
  );
  show(h('h1', {}, 'Credentials'), tableHolder, form);
}
