import { api, failureText } from './api.js';
import { announce, h, when } from './dom.js';
import type { DeadLetter } from './types.js';

function lastError(d: DeadLetter): string {
  const status = d.lastHttpStatus ? `HTTP ${d.lastHttpStatus}` : '';
  return [d.lastReason, status && !d.lastReason.includes(String(d.lastHttpStatus)) ? status : '', d.lastError].filter(Boolean).join(' · ');
}

function row(d: DeadLetter, message: HTMLElement): HTMLTableRowElement {
  const retry = h('button', { type: 'button', class: 'retry', 'aria-label': `Retry delivery ${d.deliveryId} of ${d.toolKey}` }, 'Retry');
  const tr = h(
    'tr',
    { 'data-delivery': d.deliveryId, 'data-tool': d.toolKey },
    h('td', {}, when(d.failedAt)),
    h('td', {}, h('code', {}, d.toolKey)),
    h('td', {}, lastError(d)),
    h('td', { class: 'num' }, d.attempts),
    h('td', {}, h('code', {}, d.deliveryId), d.callId ? h('div', { class: 'muted' }, `call ${d.callId}`) : null),
    h('td', {}, retry),
  );
  retry.addEventListener('click', () => {
    retry.disabled = true;
    retry.textContent = 'Retrying…';
    api<{ delivery: DeadLetter | null }>('POST', `/api/deliveries/${encodeURIComponent(d.deliveryId)}/retry`, {})
      .then(() => {
        const text = `Delivery ${d.deliveryId} of ${d.toolKey} is queued again; its attempts appear in the calls below.`;
        message.className = 'notice ok';
        message.textContent = text;
        announce(text);
        tr.remove();
      })
      .catch((err: unknown) => {
        retry.disabled = false;
        retry.textContent = 'Retry';
        message.className = 'notice bad';
        message.textContent = `Not retried: ${failureText(err)}`;
      });
  });
  return tr;
}

/** The org's dead letters (async deliveries that gave up), each with a Retry button. */
export async function deadLettersSection(tool: string): Promise<HTMLElement> {
  const message = h('p', { id: 'dead-letter-message', role: 'status' });
  const section = h('section', { class: 'card', 'aria-labelledby': 'dead-letters-heading' }, h('h2', { id: 'dead-letters-heading' }, 'Failed deliveries'), message);
  let deliveries: readonly DeadLetter[];
  try {
    ({ deliveries } = await api<{ deliveries: DeadLetter[] }>('GET', `/api/deliveries${tool ? `?tool=${encodeURIComponent(tool)}` : ''}`));
  } catch (err) {
    section.appendChild(h('p', { class: 'error' }, `Could not load the failed deliveries: ${failureText(err)}`));
    return section;
  }
  if (deliveries.length === 0) {
    section.appendChild(h('p', { class: 'muted' }, 'No async delivery has given up.'));
    return section;
  }
  section.appendChild(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'dead-letters' },
        h('caption', { class: 'visually-hidden' }, 'Async deliveries that exhausted their attempts'),
        h('thead', {}, h('tr', {}, ...['Failed', 'Tool', 'Last error', 'Attempts', 'Delivery', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...deliveries.map((d) => row(d, message))),
      ),
    ),
  );
  return section;
}
