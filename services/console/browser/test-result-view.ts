import { exportedStateView } from './call-state-chain.js';
import { h, pretty, prettyBody } from './dom.js';
import { formatMs } from './format.js';
import type { HttpHeader, TestView } from './types.js';

function headersText(headers: readonly HttpHeader[]): string {
  return headers.map((x) => `${x.name}: ${x.value}`).join('\n');
}

function field(label: string, value: Node | string, id?: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', id ? { id } : {}, value)];
}

/** The latency parts as one bar (connect, first byte, body, the rest), each segment as wide as its share. */
function latencyBar(l: TestView['latency']): HTMLElement {
  const rest = Math.max(0, l.totalMs - l.connectMs - l.firstByteMs - l.bodyMs);
  const parts = [
    { name: 'connect', label: 'Connect', ms: l.connectMs },
    { name: 'first-byte', label: 'First byte', ms: l.firstByteMs },
    { name: 'body', label: 'Body', ms: l.bodyMs },
    { name: 'other', label: 'Other', ms: rest },
  ].filter((p) => p.ms > 0);
  const whole = parts.reduce((sum, p) => sum + p.ms, 0) || 1;
  const text = parts.map((p) => `${p.label} ${formatMs(p.ms)} ms`).join(', ');
  return h(
    'div',
    { class: 'latency' },
    h(
      'div',
      { id: 'test-latency-bar', class: 'latency-bar', role: 'img', 'aria-label': `Latency parts: ${text || 'none measured'}` },
      ...parts.map((p) => {
        const seg = h('span', { class: `seg ${p.name}`, 'data-ms': p.ms.toFixed(3) });
        seg.style.width = `${((p.ms / whole) * 100).toFixed(2)}%`;
        return seg;
      }),
    ),
    h('ul', { class: 'latency-legend' }, ...parts.map((p) => h('li', {}, h('span', { class: `swatch ${p.name}` }), `${p.label} ${formatMs(p.ms)} ms`))),
  );
}

/** Everything a Test tells: outcome, status, latency and its parts, request as sent (redacted), response, mapped result. */
export function testResultView(t: TestView): HTMLElement {
  const ok = t.outcomeName === 'OUTCOME_SUCCESS';
  const latency = t.latency;
  const parts = `connect ${latency.connectMs.toFixed(1)} ms · first byte ${latency.firstByteMs.toFixed(1)} ms · body ${latency.bodyMs.toFixed(1)} ms`;
  const facts = h(
    'dl',
    { class: 'facts' },
    ...field('Outcome', h('span', { class: ok ? 'badge ok' : 'badge bad' }, t.outcomeName.replace(/^OUTCOME_/, '')), 'test-outcome'),
    ...field('HTTP status', t.httpStatus ? String(t.httpStatus) : 'none', 'test-status'),
    ...field('Latency', `${latency.totalMs.toFixed(1)} ms (${parts})`, 'test-latency'),
    ...(t.reason ? field('Reason', h('code', {}, t.reason), 'test-reason') : []),
    ...(t.summary ? field('Agent summary', t.summary, 'test-summary') : []),
    ...(t.agentMessage && !ok ? field('Agent says', t.agentMessage) : []),
    // The executor's detail speaks to API users ("store it with PutCredential"); here the fix is a page away.
    ...(t.detail ? field('Detail', t.detail.replace(/; store it with PutCredential$/, ': set it on the Credentials page'), 'test-detail') : []),
    ...(t.outcomeName === 'OUTCOME_AUTH_FAILED' ? field('Fix', h('a', { href: '#/credentials' }, 'Credentials page')) : []),
    ...(t.gateRequirement ? field('On a live call', t.gateRequirement) : []),
  );
  const sections: HTMLElement[] = [
    h('h3', {}, `Result of testing ${t.target.key} (${t.target.draft ? 'unsaved edits' : 'saved definition'})`),
    facts,
  ];
  if (latency.totalMs > 0) sections.push(latencyBar(latency));
  if (t.fieldErrors.length > 0) {
    sections.push(h('h4', {}, 'Argument problems'), h('ul', { class: 'errors' }, ...t.fieldErrors.map((f) => h('li', {}, h('code', {}, f.field), `: ${f.message}`))));
  }
  if (t.result !== null && t.result !== '') {
    sections.push(h('h4', {}, t.resultTruncated ? 'Mapped result (truncated)' : 'Mapped result'), h('pre', { id: 'test-result-json', tabindex: 0 }, pretty(t.result)));
  }
  sections.push(...exportedStateView(t));
  if (t.request) {
    const r = t.request;
    sections.push(
      h('h4', {}, 'Request as sent (secrets redacted)'),
      h('pre', { id: 'test-request', tabindex: 0 }, `${r.method} ${r.url}\n${headersText(r.headers)}${r.body ? `\n\n${r.body}` : ''}`),
    );
  }
  if (t.response) {
    const r = t.response;
    sections.push(
      h('h4', {}, `Response: ${r.status}`),
      h('details', {}, h('summary', {}, 'Response headers'), h('pre', { id: 'test-response-headers' }, headersText(r.headers))),
      h('pre', { id: 'test-body', tabindex: 0, 'aria-label': 'Response body' }, prettyBody(r.body, r.contentType) + (r.bodyTruncated ? '\n… (truncated)' : '')),
    );
  }
  return h('div', { class: 'test-result' }, ...sections);
}
