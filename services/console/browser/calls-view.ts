import { api, ApiError } from './api.js';
import { deadLettersSection } from './dead-letters-view.js';
import { h, pretty, show, when } from './dom.js';
import type { AuditRecord } from './types.js';

const OUTCOMES = [
  'OUTCOME_SUCCESS', 'OUTCOME_INVALID_ARGUMENTS', 'OUTCOME_NOT_FOUND', 'OUTCOME_DISABLED', 'OUTCOME_POLICY_BLOCKED',
  'OUTCOME_CONFIRMATION_REQUIRED', 'OUTCOME_VERIFICATION_REQUIRED', 'OUTCOME_AUTH_FAILED', 'OUTCOME_UPSTREAM_ERROR',
  'OUTCOME_TIMEOUT', 'OUTCOME_CIRCUIT_OPEN', 'OUTCOME_RESPONSE_TOO_LARGE', 'OUTCOME_MAPPING_FAILED', 'OUTCOME_EGRESS_BLOCKED',
];

const str = (r: AuditRecord, k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');

function entry(r: AuditRecord, navigate: (hash: string) => void): HTMLElement {
  const ok = r['outcome'] === 'OUTCOME_SUCCESS';
  const tool = str(r, 'toolKey');
  const replay = () => {
    sessionStorage.setItem('replay', JSON.stringify({ key: tool, argumentsJson: str(r, 'argumentsJson') || '{}', invocationId: str(r, 'invocationId') }));
    navigate(`#/integrations/${encodeURIComponent(tool)}`);
  };
  return h(
    'li',
    { class: 'call', 'data-invocation': str(r, 'invocationId'), 'data-tool': tool },
    h(
      'details',
      {},
      h(
        'summary',
        {},
        h('span', { class: 'time' }, when(str(r, 'time'))),
        h('span', { class: 'tool' }, tool),
        h('span', { class: ok ? 'badge ok' : 'badge bad' }, str(r, 'outcome').replace(/^OUTCOME_/, '')),
        h('span', {}, r['httpStatus'] ? `HTTP ${String(r['httpStatus'])}` : ''),
        h('span', { class: 'num' }, typeof r['latencyMs'] === 'number' ? `${r['latencyMs'].toFixed(1)} ms` : ''),
        h('span', { class: 'muted' }, r['test'] === true ? 'test' : `call ${str(r, 'callId')}`),
      ),
      h('pre', { tabindex: 0, 'aria-label': 'Full audit record (redacted)' }, pretty(r)),
      h('button', { type: 'button', onclick: replay }, 'Replay as a Test'),
    ),
  );
}

/** The audit trail of this org, filtered, each invocation expandable to its full redacted record. */
export async function callsView(query: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const input = (id: string, label: string, type = 'text') => {
    const el = h('input', { id, name: id, type });
    el.value = query.get(id) ?? '';
    return [h('label', { for: id }, label), el] as const;
  };
  const outcome = h('select', { id: 'outcome', name: 'outcome' }, h('option', { value: '' }, 'any'), ...OUTCOMES.map((o) => h('option', { value: o }, o.replace(/^OUTCOME_/, ''))));
  outcome.value = query.get('outcome') ?? '';
  const fields = [input('callId', 'Call id'), input('tool', 'Tool'), input('since', 'Since', 'datetime-local'), input('until', 'Until', 'datetime-local')];
  const list = h('ul', { id: 'calls', class: 'calls' });
  const error = h('p', { role: 'alert', class: 'error' });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const q = new URLSearchParams();
        for (const [, el] of fields) if (el.value) q.set(el.id, el.value);
        if (outcome.value) q.set('outcome', outcome.value);
        navigate(`#/calls?${q.toString()}`);
      },
    },
    ...fields.flatMap(([label, el]) => [h('div', {}, label, el)]),
    h('div', {}, h('label', { for: 'outcome' }, 'Outcome'), outcome),
    h('div', {}, h('button', { type: 'submit' }, 'Apply filters')),
  );
  const apiQuery = new URLSearchParams();
  for (const k of ['callId', 'tool', 'outcome']) if (query.get(k)) apiQuery.set(k, query.get(k)!);
  for (const k of ['since', 'until']) if (query.get(k)) apiQuery.set(k, new Date(query.get(k)!).toISOString());
  const deadLetters = deadLettersSection(query.get('tool') ?? '');
  try {
    const { calls } = await api<{ calls: AuditRecord[] }>('GET', `/api/calls?${apiQuery.toString()}`);
    for (const r of calls) list.appendChild(entry(r, navigate));
    if (calls.length === 0) list.appendChild(h('li', {}, 'No invocations match.'));
  } catch (err) {
    error.textContent = err instanceof ApiError ? err.message : 'Could not load the calls.';
  }
  show(h('h1', {}, 'Calls'), form, await deadLetters, h('h2', {}, 'Invocations'), error, list);
}
