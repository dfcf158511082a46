import { api } from './api.js';
import { announce, h, pretty, show } from './dom.js';

/** The tools the model sees (ListTools) in one format, copyable. */
export async function toolsView(query: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const format = query.get('format') ?? 'openai';
  const data = await api<{ format: string; count: number; document: unknown }>('GET', `/api/tools?format=${encodeURIComponent(format)}`);
  const select = h('select', { id: 'format', name: 'format', onchange: () => navigate(`#/tools?format=${select.value}`) }, ...['openai', 'anthropic', 'mcp'].map((f) => h('option', { value: f }, f)));
  select.value = format;
  const text = pretty(data.document);
  const copy = h('button', {
    type: 'button',
    id: 'copy-tools',
    onclick: () => {
      void navigator.clipboard.writeText(text).then(
        () => announce('Copied the tool list.'),
        () => announce('Copy failed: select the text and copy it yourself.'),
      );
    },
  }, 'Copy');
  show(
    h('h1', {}, 'Tools the model sees'),
    h('div', { class: 'toolbar' }, h('label', { for: 'format' }, 'Format'), select, copy, h('span', { class: 'muted' }, `${data.count} tools`)),
    h('pre', { id: 'tools-document', tabindex: 0, 'aria-label': 'Tool list document' }, text),
  );
}
