import { api, failureText } from './api.js';
import { deadLettersSection } from './dead-letters-view.js';
import { h, pretty, show, when } from './dom.js';
import { formatMs } from './format.js';
import type { AuditRecord } from './types.js';

export const OUTCOMES = [
  'OUTCOME_SUCCESS', 'OUTCOME_INVALID_ARGUMENTS', 'OUTCOME_NOT_FOUND', 'OUTCOME_DISABLED', 'OUTCOME_POLICY_BLOCKED',
  'OUTCOME_CONFIRMATION_REQUIRED', 'OUTCOME_VERIFICATION_REQUIRED', 'OUTCOME_AUTH_FAILED', 'OUTCOME_UPSTREAM_ERROR',
  'OUTCOME_TIMEOUT', 'OUTCOME_CIRCUIT_OPEN', 'OUTCOME_RESPONSE_TOO_LARGE', 'OUTCOME_MAPPING_FAILED', 'OUTCOME_EGRESS_BLOCKED',
];

/** Calls per page: enough to scan, small enough to render at once. */
export const PAGE_SIZE = 50;

/** Quick time ranges: "since" this long ago. */
const RANGES: readonly { value: string; label: string; ms: number }[] = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
];

interface CallsPage {
  readonly calls: AuditRecord[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly tools: readonly string[];
}

const str = (r: AuditRecord, k: string): string => (typeof r[k] === 'string' ? (r[k]) : '');
const count = new Intl.NumberFormat('en');

function rows(r: AuditRecord, i: number, navigate: (hash: string) => void): HTMLTableRowElement[] {
  const ok = r['outcome'] === 'OUTCOME_SUCCESS';
  const tool = str(r, 'toolKey');
  const replay = () => {
    sessionStorage.setItem('replay', JSON.stringify({ key: tool, argumentsJson: str(r, 'argumentsJson') || '{}', invocationId: str(r, 'invocationId') }));
    navigate(`#/integrations/${encodeURIComponent(tool)}`);
  };
  const detailId = `call-detail-${i}`;
  const toggle = h('button', { type: 'button', class: 'link call-toggle', 'aria-expanded': 'false', 'aria-controls': detailId, 'aria-label': `Details of the ${tool} call at ${when(str(r, 'time'))}` }, 'Details');
  const detail = h(
    'tr',
    { id: detailId, class: 'call-detail', hidden: true },
    h(
      'td',
      { colspan: 7 },
      h('pre', { tabindex: 0, 'aria-label': 'Full audit record (redacted)' }, pretty(r)),
      h('button', { type: 'button', class: 'replay', onclick: replay }, 'Replay as a Test'),
    ),
  );
  toggle.addEventListener('click', () => {
    const open = detail.hidden;
    detail.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  });
  const status = typeof r['httpStatus'] === 'number' && r['httpStatus'] > 0 ? String(r['httpStatus']) : '';
  const latency = typeof r['latencyMs'] === 'number' ? formatMs(r['latencyMs']) : '';
  const main = h(
    'tr',
    { class: 'call', 'data-invocation': str(r, 'invocationId'), 'data-tool': tool },
    h('td', { class: 'time', 'data-label': 'Time' }, h('time', { datetime: str(r, 'time') }, when(str(r, 'time')))),
    h('td', { class: 'tool', 'data-label': 'Tool' }, h('code', {}, tool), r['test'] === true ? h('span', { class: 'badge' }, 'test') : null),
    h('td', { 'data-label': 'Outcome' }, h('span', { class: ok ? 'badge ok' : 'badge bad' }, str(r, 'outcome').replace(/^OUTCOME_/, ''))),
    h('td', { class: 'num status', 'data-label': 'HTTP status' }, status),
    h('td', { class: 'num latency', 'data-label': 'Latency (ms)' }, latency),
    h('td', { class: 'call-id', 'data-label': 'Call id' }, str(r, 'callId') ? h('code', {}, str(r, 'callId')) : h('span', { class: 'muted' }, '—')),
    h('td', {}, toggle),
  );
  return [main, detail];
}

/** The audit trail of this org: a table filtered by tool, outcome, time range and call id, a page at a time. */
export async function callsView(query: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const input = (id: string, label: string, type = 'text') => {
    const el = h('input', { id, name: id, type });
    el.value = query.get(id) ?? '';
    return [h('label', { for: id }, label), el] as const;
  };
  const outcome = h('select', { id: 'outcome', name: 'outcome' }, h('option', { value: '' }, 'Any'), ...OUTCOMES.map((o) => h('option', { value: o }, o.replace(/^OUTCOME_/, ''))));
  outcome.value = query.get('outcome') ?? '';
  const range = h('select', { id: 'range', name: 'range' }, h('option', { value: '' }, 'Any time (or the dates below)'), ...RANGES.map((r) => h('option', { value: r.value }, r.label)));
  range.value = query.get('range') ?? '';
  const [toolLabel, tool] = input('tool', 'Tool');
  tool.setAttribute('list', 'tool-keys');
  const toolKeys = h('datalist', { id: 'tool-keys' });
  const fields = [input('callId', 'Call id'), input('since', 'From', 'datetime-local'), input('until', 'To', 'datetime-local')];
  const table = h('tbody', {});
  const error = h('p', { id: 'calls-error', role: 'alert', class: 'error' });
  const summary = h('p', { id: 'calls-summary', class: 'muted', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of calls' });
  const pageNumber = Math.max(1, Math.floor(Number(query.get('page') ?? 1)) || 1);

  const hashFor = (page: number) => {
    const q = new URLSearchParams();
    if (tool.value) q.set('tool', tool.value);
    for (const [, el] of fields) if (el.value) q.set(el.id, el.value);
    if (outcome.value) q.set('outcome', outcome.value);
    if (range.value) q.set('range', range.value);
    if (page > 1) q.set('page', String(page));
    return `#/calls?${q.toString()}`;
  };
  const form = h(
    'form',
    {
      class: 'filters',
      id: 'call-filters',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        navigate(hashFor(1));
      },
    },
    h('div', {}, toolLabel, tool, toolKeys),
    h('div', {}, h('label', { for: 'outcome' }, 'Outcome'), outcome),
    h('div', {}, h('label', { for: 'range' }, 'Time range'), range),
    ...fields.map(([label, el]) => h('div', {}, label, el)),
    h('div', {}, h('button', { type: 'submit' }, 'Apply filters')),
  );

  const apiQuery = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String((pageNumber - 1) * PAGE_SIZE) });
  for (const k of ['callId', 'tool', 'outcome']) if (query.get(k)) apiQuery.set(k, query.get(k)!);
  for (const k of ['since', 'until']) {
    const d = new Date(query.get(k) ?? '');
    if (query.get(k) && !Number.isNaN(d.getTime())) apiQuery.set(k, d.toISOString());
  }
  const preset = RANGES.find((r) => r.value === range.value);
  if (preset) apiQuery.set('since', new Date(Date.now() - preset.ms).toISOString());
  const deadLetters = deadLettersSection(query.get('tool') ?? '');
  try {
    const data = await api<CallsPage>('GET', `/api/calls?${apiQuery.toString()}`);
    toolKeys.replaceChildren(...data.tools.map((t) => h('option', { value: t })));
    data.calls.forEach((r, i) => table.append(...rows(r, i, navigate)));
    if (data.calls.length === 0) table.appendChild(h('tr', {}, h('td', { colspan: 7 }, data.total > 0 ? 'No calls on this page.' : 'No invocations match.')));
    const first = data.total === 0 ? 0 : data.offset + 1;
    const last = data.offset + data.calls.length;
    summary.textContent = data.total === 0 ? 'No calls match.' : `Calls ${count.format(first)}–${count.format(last)} of ${count.format(data.total)}, newest first.`;
    const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
    const link = (label: string, page: number, id: string) =>
      page < 1 || page > pages || page === pageNumber ? h('span', { class: 'muted', id, 'aria-disabled': 'true' }, label) : h('a', { href: hashFor(page), id, class: 'button secondary' }, label);
    pager.append(link('← Newer', pageNumber - 1, 'calls-newer'), h('span', { id: 'calls-page' }, `Page ${count.format(pageNumber)} of ${count.format(pages)}`), link('Older →', pageNumber + 1, 'calls-older'));
  } catch (err) {
    error.textContent = `Could not load the calls: ${failureText(err)}`;
  }
  const callsTable = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'calls', class: 'calls-table' },
      h('caption', { class: 'visually-hidden' }, 'Invocations of this org, newest first'),
      h('thead', {}, h('tr', {}, ...['Time', 'Tool', 'Outcome', 'HTTP status', 'Latency (ms)', 'Call id', ''].map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Details'))))),
      table,
    ),
  );
  show(h('h1', {}, 'Calls'), form, await deadLetters, h('h2', {}, 'Invocations'), error, summary, callsTable, pager);
}
