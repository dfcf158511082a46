import { api, ApiError, failureText } from './api.js';
import { announce, h, show } from './dom.js';
import type { ImportCandidate, ImportOutcome, ImportPreview } from './types.js';

interface Previewed {
  readonly text: string;
  readonly serverUrl: string;
  /** Per key: the revision an update must start from, or null for a create. */
  readonly revisions: Map<string, number | null>;
}

function problemList(err: unknown, list: HTMLElement, fields: Record<string, HTMLElement>): void {
  list.replaceChildren();
  for (const el of Object.values(fields)) el.removeAttribute('aria-invalid');
  if (!(err instanceof ApiError) || err.status === 0) {
    list.appendChild(h('li', {}, `The request failed: ${failureText(err)}`));
    return;
  }
  const problems = err.fieldErrors.length > 0 ? err.fieldErrors : [{ field: '', message: err.message }];
  for (const p of problems) {
    const field = fields[p.field];
    if (field) field.setAttribute('aria-invalid', 'true');
    list.appendChild(h('li', { 'data-field': p.field }, p.message));
  }
}

function candidateRow(c: ImportCandidate, i: number): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-key': c.key },
    h('td', {}, h('input', { type: 'checkbox', id: `import-${i}`, class: 'import-pick', value: c.key, checked: true, 'aria-label': `Import ${c.key}` })),
    h('td', {}, h('code', {}, c.key), h('div', { class: 'muted' }, c.name), h('details', {}, h('summary', {}, 'Definition'), h('pre', { tabindex: 0, 'aria-label': `Definition of ${c.key}` }, c.yaml))),
    h('td', { class: 'method' }, c.method),
    h('td', {}, h('code', {}, c.urlTemplate)),
    h('td', {}, c.burden),
    h('td', { class: 'org-state' }, c.existingRevision === null ? 'new' : `exists (revision ${c.existingRevision}): will be updated`),
  );
}

/** Skipped constructs grouped by their reason: one line per reason, with what it covers (repeats said once). */
function skippedList(skipped: ImportPreview['skipped']): HTMLElement {
  const byWhy = new Map<string, { operation: string; what: string }[]>();
  for (const s of skipped) {
    const list = byWhy.get(s.why) ?? [];
    list.push(s);
    byWhy.set(s.why, list);
  }
  return h(
    'ul',
    { id: 'import-skipped' },
    ...[...byWhy].map(([why, items]) =>
      h(
        'li',
        {},
        h('strong', {}, why),
        items.length > 1 ? ` (${items.length})` : '',
        ': ',
        items.map((i) => `${i.operation}: ${i.what}`).join('; '),
      ),
    ),
  );
}

function previewSection(p: ImportPreview, applyButton: HTMLButtonElement, results: HTMLElement): HTMLElement {
  const table =
    p.integrations.length === 0
      ? h('p', {}, 'The document produces no integration.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { id: 'import-table' },
            h('caption', { class: 'visually-hidden' }, 'Integrations the document would create or update'),
            h('thead', {}, h('tr', {}, ...['Import', 'Key', 'Method', 'URL template', 'Burden level', 'In this org'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, ...p.integrations.map(candidateRow)),
          ),
        );
  return h(
    'div',
    {},
    h('h2', {}, `${p.integrations.length} integration${p.integrations.length === 1 ? '' : 's'}`),
    table,
    h('div', { class: 'actions' }, applyButton),
    results,
    h('h3', {}, 'Not translated'),
    p.skipped.length === 0 ? h('p', { class: 'muted' }, 'Everything in the document was translated.') : skippedList(p.skipped),
    p.notes.length === 0 ? null : h('h3', {}, 'To review'),
    p.notes.length === 0 ? null : h('ul', { id: 'import-notes' }, ...p.notes.map((n) => h('li', {}, n))),
  );
}

function outcomeItem(r: ImportOutcome): HTMLLIElement {
  if (r.ok) {
    // A create shows no revision: the registry's revision numbers are not counted per integration, and "created, revision 7" reads wrong.
    const what = r.action === 'created' ? 'created' : `${r.action ?? 'saved'}, revision ${r.revision ?? '?'}`;
    return h('li', { 'data-key': r.key, 'data-revision': r.revision, class: 'ok' }, h('a', { href: `#/integrations/${encodeURIComponent(r.key)}` }, r.key), `: ${what}`);
  }
  const fields = (r.fieldErrors ?? []).map((f) => `${f.field}: ${f.message}`).join('; ');
  return h('li', { 'data-key': r.key, class: 'error' }, `${r.key}: not imported (${r.reason ?? 'ERROR'}): ${r.message ?? ''}${fields ? ` — ${fields}` : ''}`);
}

/** "Import from OpenAPI": paste a document, see what it would create, apply the selected ones to this org. */
export function importView(): void {
  const text = h('textarea', { id: 'openapi-text', name: 'openapi-text', rows: 16, spellcheck: 'false', 'aria-describedby': 'openapi-help' });
  const serverUrl = h('input', { id: 'server-url', name: 'server-url', type: 'url', placeholder: 'https://api.example.com/v1' });
  const errors = h('ul', { id: 'import-errors', class: 'errors' });
  const preview = h('section', { id: 'import-preview', 'aria-label': 'Preview' });
  const results = h('ul', { id: 'import-results' });
  const message = h('p', { id: 'import-message', role: 'status' });
  const applyButton = h('button', { type: 'button', id: 'apply-import', hidden: true }, 'Import selected');
  const previewButton = h('button', { type: 'submit', id: 'preview-import' }, 'Preview');
  let previewed: Previewed | undefined;

  const runPreview = async () => {
    errors.replaceChildren();
    results.replaceChildren();
    message.textContent = 'Reading the document…';
    previewButton.disabled = true;
    try {
      const p = await api<ImportPreview>('POST', '/api/import/openapi/preview', { text: text.value, serverUrl: serverUrl.value });
      previewed = { text: text.value, serverUrl: serverUrl.value, revisions: new Map(p.integrations.map((c) => [c.key, c.existingRevision])) };
      preview.replaceChildren(previewSection(p, applyButton, results));
      applyButton.hidden = p.integrations.length === 0;
      text.removeAttribute('aria-invalid');
      serverUrl.removeAttribute('aria-invalid');
      message.textContent = `The document gives ${p.integrations.length} integration${p.integrations.length === 1 ? '' : 's'}; ${p.skipped.length} construct${p.skipped.length === 1 ? ' was' : 's were'} not translated.`;
    } catch (err) {
      previewed = undefined;
      preview.replaceChildren();
      applyButton.hidden = true;
      message.textContent = 'Not read.';
      problemList(err, errors, { text, serverUrl });
    } finally {
      previewButton.disabled = false;
    }
    announce(message.textContent ?? '');
  };

  const runApply = async () => {
    if (!previewed) {
      message.textContent = 'Preview the document first.';
      return;
    }
    if (previewed.text !== text.value || previewed.serverUrl !== serverUrl.value) {
      message.textContent = 'The document changed since the preview: press Preview again first.';
      return;
    }
    const keys = [...preview.querySelectorAll<HTMLInputElement>('input.import-pick')].filter((c) => c.checked).map((c) => c.value);
    if (keys.length === 0) {
      message.textContent = 'Select at least one integration.';
      return;
    }
    const known = previewed.revisions;
    const items = keys.map((key) => ({ key, expectedRevision: known.get(key) ?? undefined }));
    applyButton.disabled = true;
    applyButton.textContent = 'Importing…';
    message.textContent = 'Importing…';
    try {
      const { results: outcomes } = await api<{ results: ImportOutcome[] }>('POST', '/api/import/openapi/apply', { text: previewed.text, serverUrl: previewed.serverUrl, items });
      results.replaceChildren(...outcomes.map(outcomeItem));
      for (const r of outcomes) {
        if (!r.ok || r.revision === undefined) continue;
        known.set(r.key, r.revision);
        const cell = preview.querySelector(`tr[data-key="${CSS.escape(r.key)}"] td.org-state`);
        if (cell) cell.textContent = `exists (revision ${r.revision}): will be updated`;
      }
      const failed = outcomes.filter((r) => !r.ok).length;
      message.textContent = failed === 0 ? `Imported ${outcomes.length} integration${outcomes.length === 1 ? '' : 's'}.` : `Imported ${outcomes.length - failed}; ${failed} failed (see below).`;
    } catch (err) {
      message.textContent = 'Nothing was imported.';
      problemList(err, errors, { text, serverUrl });
    } finally {
      applyButton.disabled = false;
      applyButton.textContent = 'Import selected';
    }
    announce(message.textContent ?? '');
  };
  applyButton.addEventListener('click', () => void runApply());

  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void runPreview();
      },
    },
    h('label', { for: 'openapi-text' }, 'OpenAPI document (YAML or JSON)'),
    h('p', { id: 'openapi-help', class: 'help' }, 'Paste an OpenAPI 3.0 or 3.1 document; $refs inside it are followed, references to other files are not. The console never fetches a URL.'),
    text,
    h('label', { for: 'server-url' }, 'Server URL (optional: instead of the document\'s servers)'),
    serverUrl,
    h('div', { class: 'actions' }, previewButton),
    h('div', { role: 'alert' }, errors),
  );
  show(h('h1', {}, 'Import from OpenAPI'), form, message, preview);
}
