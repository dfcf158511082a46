import { api, failureText } from './api.js';
import { announce, h, show, when } from './dom.js';
import type { CredentialRow } from './types.js';

/** Secret fields per type (credential.proto); every one is write-only. */
const FIELDS: Readonly<Record<string, readonly { name: string; label: string; multiline?: boolean; optional?: boolean }[]>> = {
  api_key: [{ name: 'value', label: 'API key' }],
  bearer: [{ name: 'token', label: 'Bearer token' }],
  basic: [{ name: 'username', label: 'Username' }, { name: 'password', label: 'Password' }],
  signing_secret: [{ name: 'value', label: 'Signing secret' }],
  oauth2_client: [{ name: 'client_id', label: 'Client id' }, { name: 'client_secret', label: 'Client secret' }, { name: 'refresh_token', label: 'Refresh token', optional: true }],
  custom_headers: [],
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
  // The registry's credential id rule; "-" escaped, as the v-flag patterns of HTML need.
  const idInput = h('input', { id: 'credential-id', name: 'credential-id', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}', autocomplete: 'off', 'aria-describedby': 'credential-id-help' });
  const typeSelect = h('select', { id: 'credential-type', name: 'credential-type' }, ...Object.keys(FIELDS).map((t) => h('option', { value: t }, t)));
  const secretFields = h('div', { id: 'secret-fields' });
  const message = h('p', { id: 'credential-message', role: 'status' });
  const saveButton = h('button', { type: 'submit', id: 'save-credential' }, 'Save credential');
  /** custom_headers: any number of header name + value pairs, each value write-only. */
  let headerRows = 0;
  const addHeader = () => {
    const i = headerRows;
    headerRows += 1;
    const name = h('input', { id: `header-${i}-name`, class: 'header-name', spellcheck: 'false', autocomplete: 'off', required: true, placeholder: 'X-Api-Token' });
    const value = h('input', { id: `header-${i}-value`, class: 'header-value', type: 'password', autocomplete: 'new-password', required: true });
    const rowEl = h('div', { class: 'form-pair header-row' }, h('div', {}, h('label', { for: name.id }, `Header ${i + 1} name`), name), h('div', {}, h('label', { for: value.id }, `Header ${i + 1} value`), value));
    headerList.appendChild(rowEl);
    return name;
  };
  const headerList = h('div', { id: 'header-fields' });
  const renderFields = () => {
    secretFields.replaceChildren();
    if (typeSelect.value === 'custom_headers') {
      headerRows = 0;
      headerList.replaceChildren();
      addHeader();
      const more = h('button', { type: 'button', id: 'add-header', class: 'secondary' }, 'Add header');
      more.addEventListener('click', () => addHeader().focus());
      secretFields.append(h('p', { class: 'help' }, 'Each header is sent as named, with its value, on every request of an integration with custom_headers auth.'), headerList, h('div', { class: 'actions' }, more));
      return;
    }
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
        if (typeSelect.value === 'custom_headers') {
          for (const rowEl of headerList.querySelectorAll('.header-row')) {
            const name = rowEl.querySelector<HTMLInputElement>('.header-name')!.value.trim();
            if (name) secret[name] = rowEl.querySelector<HTMLInputElement>('.header-value')!.value;
          }
        } else {
          for (const el of secretFields.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) secret[el.id.replace(/^secret-/, '')] = el.value;
        }
        saveButton.disabled = true;
        saveButton.textContent = 'Saving…';
        message.className = '';
        message.textContent = 'Saving…';
        api<CredentialRow>('PUT', `/api/credentials/${encodeURIComponent(idInput.value)}`, { type: typeSelect.value, secret })
          .then(async (saved) => {
            for (const el of secretFields.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[type=password], textarea')) el.value = '';
            message.textContent = `Saved ${saved.id} (${saved.type}, ${saved.hint}).`;
            message.className = 'notice ok';
            announce(message.textContent);
            const fresh = await api<{ credentials: CredentialRow[] }>('GET', '/api/credentials').catch(() => undefined);
            if (fresh) tableHolder.replaceChildren(tableOf(fresh.credentials));
          })
          .catch((err: unknown) => {
            message.textContent = `Not saved: ${failureText(err)}`;
            message.className = 'notice bad';
            announce(message.textContent);
          })
          .finally(() => {
            saveButton.disabled = false;
            saveButton.textContent = 'Save credential';
          });
      },
    },
    h('h2', {}, 'Set a credential'),
    h('p', { class: 'help' }, 'Values are sent once to be encrypted by the registry and are never shown again. Saving an existing ID replaces its value.'),
    h('label', { for: 'credential-id' }, 'ID'),
    h('p', { id: 'credential-id-help', class: 'help' }, 'Letters, digits, "_" and "-", up to 64; the credential_id an integration names.'),
    idInput,
    h('label', { for: 'credential-type' }, 'Type'),
    typeSelect,
    secretFields,
    h('div', { class: 'actions' }, saveButton),
    message,
  );
  show(h('h1', {}, 'Credentials'), tableHolder, form);
}
