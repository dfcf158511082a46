// Per integration: latency p50/p95 over time, the outcome breakdown and what its limits did (calls queued,
// their waits, calls refused RATE_LIMITED), from the audit trail, with the breaker state.
import type { Chart } from 'chart.js';
import { api, failureText } from './api.js';
import { cssVar, loadChartJs } from './chart-loader.js';
import { h } from './dom.js';
import { formatMs } from './format.js';

interface Stats {
  readonly window: '1h' | '24h';
  readonly total: number;
  readonly buckets: readonly { start: string; count: number; p50: number | null; p95: number | null }[];
  readonly outcomes: readonly { outcome: string; count: number }[];
  readonly breakerState: string;
  readonly limits: LimitBucket & { readonly buckets: readonly LimitBucket[] };
}

interface LimitBucket {
  readonly queued: number;
  readonly rateLimited: number;
  readonly waitP95: number | null;
}

const WINDOWS = [
  { value: '1h', label: 'Last hour', per: 'per 5 minutes' },
  { value: '24h', label: 'Last 24 hours', per: 'per hour' },
] as const;

const short = (outcome: string) => outcome.replace(/^OUTCOME_/, '');

function bucketLabel(iso: string, window: Stats['window']): string {
  const d = new Date(iso);
  return window === '1h' ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit' });
}

/** Whether the integration's limits held or refused any call in the window: only then is there a limits chart. */
const limited = (s: Stats): boolean => s.limits.queued + s.limits.rateLimited > 0;

function limitsSentence(s: Stats): string {
  const l = s.limits;
  return ` Limits: ${l.queued} queued${l.waitP95 === null ? '' : ` (waited p95 ${formatMs(l.waitP95)} ms)`}, ${l.rateLimited} rate-limited.`;
}

/** The numbers behind the charts, as a table for whoever would rather read them. */
function numbersTable(s: Stats): HTMLElement {
  const withLimits = limited(s);
  const limitCells = (i: number) => {
    const l = s.limits.buckets[i];
    return withLimits && l ? [h('td', { class: 'num' }, l.queued), h('td', { class: 'num' }, l.waitP95 === null ? '' : formatMs(l.waitP95)), h('td', { class: 'num' }, l.rateLimited)] : [];
  };
  return h(
    'details',
    { class: 'chart-numbers' },
    h('summary', {}, 'Show the numbers'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'latency-table' },
        h('caption', { class: 'visually-hidden' }, 'Latency per interval'),
        h('thead', {}, h('tr', {}, ...['From', 'Calls', 'p50 (ms)', 'p95 (ms)', ...(withLimits ? ['Queued', 'Wait p95 (ms)', 'Rate limited'] : [])].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          ...s.buckets.map((b, i) =>
            h(
              'tr',
              {},
              h('td', {}, bucketLabel(b.start, s.window)),
              h('td', { class: 'num' }, b.count),
              h('td', { class: 'num' }, b.p50 === null ? '' : formatMs(b.p50)),
              h('td', { class: 'num' }, b.p95 === null ? '' : formatMs(b.p95)),
              ...limitCells(i),
            ),
          ),
        ),
      ),
    ),
  );
}

export interface HealthSection {
  readonly element: HTMLElement;
  /** Loads the numbers again (after a Test, which the trail records). */
  refresh(): void;
}

/** The Health section of a saved integration; loads after the editor is shown and never blocks it. */
export function healthSection(key: string): HealthSection {
  const select = h('select', { id: 'health-window', name: 'health-window' }, ...WINDOWS.map((w) => h('option', { value: w.value }, w.label)));
  const breaker = h('span', { id: 'health-breaker', class: 'badge' });
  const summary = h('p', { id: 'health-summary', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div', { id: 'health-charts', class: 'chart-grid' });
  const section = h(
    'section',
    { id: 'health', class: 'card', 'aria-labelledby': 'health-heading' },
    h('h2', { id: 'health-heading' }, 'Health'),
    h('div', { class: 'toolbar' }, h('div', {}, h('label', { for: 'health-window' }, 'Window'), select), h('p', { class: 'breaker' }, 'Breaker: ', breaker)),
    summary,
    body,
  );
  let charts: Chart[] = [];

  const render = async () => {
    section.setAttribute('aria-busy', 'true');
    summary.textContent = 'Loading…';
    try {
      const [s, ChartJs] = await Promise.all([api<Stats>('GET', `/api/integrations/${encodeURIComponent(key)}/stats?window=${select.value}`), loadChartJs()]);
      for (const c of charts) c.destroy();
      charts = [];
      const w = WINDOWS.find((x) => x.value === s.window)!;
      breaker.textContent = s.breakerState || 'no live calls yet';
      breaker.className = s.breakerState === 'open' ? 'badge bad' : s.breakerState === 'closed' ? 'badge ok' : 'badge';
      const worst = Math.max(0, ...s.buckets.map((b) => b.p95 ?? 0));
      summary.textContent =
        s.total === 0
          ? `No calls in the ${w.label.toLowerCase()}.`
          : `${s.total} call${s.total === 1 ? '' : 's'} in the ${w.label.toLowerCase()}; highest p95 ${formatMs(worst)} ms; ${s.outcomes.map((o) => `${short(o.outcome)} ${o.count}`).join(', ')}.${limited(s) ? limitsSentence(s) : ''}`;
      if (s.total === 0) {
        body.replaceChildren();
        return;
      }
      const latencyCanvas = h('canvas', { id: 'latency-chart', role: 'img', 'aria-label': `Latency p50 and p95 in ms ${w.per}, ${w.label.toLowerCase()}. ${summary.textContent}` });
      const outcomeCanvas = h('canvas', { id: 'outcome-chart', role: 'img', 'aria-label': `Outcomes, ${w.label.toLowerCase()}: ${s.outcomes.map((o) => `${short(o.outcome)} ${o.count}`).join(', ') || 'none'}` });
      const limitCanvas = limited(s)
        ? h('canvas', { id: 'limit-chart', role: 'img', 'aria-label': `Calls queued by the integration's limits and calls refused as rate-limited ${w.per}, with the p95 wait in ms, ${w.label.toLowerCase()}.${limitsSentence(s)}` })
        : undefined;
      body.replaceChildren(
        h('figure', { class: 'chart' }, h('figcaption', {}, `Latency (ms) ${w.per}`), h('div', { class: 'chart-box' }, latencyCanvas)),
        h('figure', { class: 'chart' }, h('figcaption', {}, 'Outcomes'), h('div', { class: 'chart-box' }, outcomeCanvas)),
        ...(limitCanvas ? [h('figure', { class: 'chart' }, h('figcaption', {}, `Limits ${w.per}: queued, rate-limited and wait p95 (ms)`), h('div', { class: 'chart-box' }, limitCanvas))] : []),
        numbersTable(s),
      );
      const fg = cssVar('--fg');
      const grid = cssVar('--line');
      ChartJs.defaults.color = fg;
      ChartJs.defaults.borderColor = grid;
      ChartJs.defaults.font.family = getComputedStyle(document.body).fontFamily;
      const labels = s.buckets.map((b) => bucketLabel(b.start, s.window));
      charts.push(
        new ChartJs(latencyCanvas, {
          type: 'line',
          data: {
            labels,
            datasets: [
              { label: 'p50', data: s.buckets.map((b) => b.p50), borderColor: cssVar('--chart-1'), backgroundColor: cssVar('--chart-1'), spanGaps: true, tension: 0.2 },
              { label: 'p95', data: s.buckets.map((b) => b.p95), borderColor: cssVar('--chart-2'), backgroundColor: cssVar('--chart-2'), borderDash: [6, 4], spanGaps: true, tension: 0.2 },
            ],
          },
          options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
        }),
        new ChartJs(outcomeCanvas, {
          type: 'bar',
          data: {
            labels: s.outcomes.map((o) => short(o.outcome)),
            datasets: [{ label: 'Calls', data: s.outcomes.map((o) => o.count), backgroundColor: s.outcomes.map((o) => (o.outcome === 'OUTCOME_SUCCESS' ? cssVar('--chart-3') : cssVar('--chart-2'))) }],
          },
          options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
        }),
      );
      if (limitCanvas) {
        charts.push(
          new ChartJs(limitCanvas, {
            type: 'bar',
            data: {
              labels,
              datasets: [
                { type: 'bar', label: 'Queued', data: s.limits.buckets.map((b) => b.queued), backgroundColor: cssVar('--chart-1'), stack: 'calls', yAxisID: 'y' },
                { type: 'bar', label: 'Rate limited', data: s.limits.buckets.map((b) => b.rateLimited), backgroundColor: cssVar('--chart-2'), stack: 'calls', yAxisID: 'y' },
                { type: 'line', label: 'Wait p95 (ms)', data: s.limits.buckets.map((b) => b.waitP95), borderColor: cssVar('--chart-3'), backgroundColor: cssVar('--chart-3'), spanGaps: true, yAxisID: 'wait' },
              ],
            },
            options: {
              responsive: true,
              maintainAspectRatio: false,
              animation: false,
              scales: {
                y: { beginAtZero: true, stacked: true, ticks: { precision: 0 }, title: { display: true, text: 'calls' } },
                wait: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'ms' } },
              },
            },
          }),
        );
      }
    } catch (err) {
      summary.textContent = `Could not load the charts: ${failureText(err)}`;
    } finally {
      section.setAttribute('aria-busy', 'false');
    }
  };
  select.addEventListener('change', () => void render());
  void render();
  return { element: section, refresh: () => void render() };
}
