import type { SimulationReport, SpokenLine, TurnReport } from './run-simulation.js';

function ms(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function spokenLine(line: SpokenLine, turn: TurnReport): string {
  switch (line.when) {
    case 'start':
      return `  agent (as the request goes out): ${line.text}`;
    case 'delay':
      return `  agent (no answer after ${turn.delayAfterMs ?? 0} ms): ${line.text}`;
    case 'after':
      return `  agent: ${line.text}`;
  }
}

function actionLine(turn: TurnReport): string | undefined {
  const call = turn.toolCall;
  switch (turn.action) {
    case 'invoke':
      return `  model calls ${call?.tool} ${call?.argumentsJson}`;
    case 'confirm':
      return `  caller says yes: the model calls ${call?.tool} again with the same arguments; the runtime adds the confirmation token`;
    case 'decline':
      return '  caller says no: the question is dropped and nothing is sent';
    case 'none':
      return undefined;
  }
}

function turnLines(turn: TurnReport): string[] {
  const lines = [`turn ${turn.index}`];
  if (turn.caller !== undefined) lines.push(`  caller: ${turn.caller}`);
  if (turn.verifiedBy) lines.push(`  (the runtime verified the caller: ${turn.verifiedBy})`);
  const action = actionLine(turn);
  if (action) lines.push(action);
  if (turn.problem) lines.push(`  problem: ${turn.problem}`);
  for (const l of turn.spoken) lines.push(spokenLine(l, turn));
  if (turn.action !== 'none' && turn.action !== 'decline' && turn.spoken.length === 0 && !turn.problem) lines.push('  agent: (says nothing about it)');
  if (turn.outcome && turn.action !== 'decline') {
    const parts = [`outcome ${turn.outcome}${turn.reason && turn.reason !== turn.outcome ? ` (${turn.reason})` : ''}`];
    if (turn.httpStatus) parts.push(`HTTP ${turn.httpStatus}`);
    if (turn.elapsedMs !== undefined) parts.push(`${ms(turn.elapsedMs)}${turn.executorLatencyMs ? ` (executor ${ms(turn.executorLatencyMs)})` : ''}`);
    lines.push(`  ${parts.join(', ')}`);
  }
  if (turn.toolResult !== undefined) lines.push(`  tool result for the model: ${JSON.stringify(turn.toolResult)}`);
  if (turn.callState.length > 0) lines.push(`  call state: ${turn.callState.map((n) => `${n}: set`).join(', ')}`);
  for (const e of turn.audit.events) {
    if (e.request) {
      lines.push(`  request: ${e.request.method} ${e.request.url}`);
      for (const h of e.request.headers) lines.push(`    ${h.name}: ${h.value}`);
      if (e.request.body) lines.push(`    body: ${e.request.body}`);
    }
    const sent = e.upstreamRequests === 0 ? 'nothing sent upstream' : `${e.upstreamRequests} upstream request${e.upstreamRequests === 1 ? '' : 's'}${e.retries ? ` (${e.retries} retr${e.retries === 1 ? 'y' : 'ies'})` : ''}`;
    lines.push(`  audit: ${e.outcome}${e.httpStatus ? ` HTTP ${e.httpStatus}` : ''}, gate ${e.gate || '-'}, ${sent}`);
  }
  if (turn.action === 'decline') lines.push('  audit: no invocation, nothing sent upstream');
  for (const id of turn.audit.missing) lines.push(`  audit: no event arrived for invocation ${id}`);
  for (const x of turn.expectations) lines.push(x.ok ? `  ✓ ${x.expected}` : `  ✗ ${x.expected}: ${x.actual}`);
  return lines;
}

/** The prefetch step: what the system prompt gets at call start, and what did not make it. */
function prefetchLines(prefetch: NonNullable<SimulationReport['prefetch']>): string[] {
  const lines = ['prefetch (at call start, before the first word)'];
  if (prefetch.problem !== undefined) return [...lines, `  problem: ${prefetch.problem}`];
  const k = prefetch.knowledge;
  if (k === undefined) return lines;
  if (k.known.length === 0) lines.push('  the agent knows nothing yet (no ambient lookup answered)');
  else lines.push('  the agent knows:', ...k.promptText.split('\n').map((l) => `  ${l}`));
  for (const f of k.failed) lines.push(`  ${f.toolKey} failed: ${f.outcome.replace(/^OUTCOME_/, '')} (${f.reason}); the agent says nothing about it`);
  for (const late of k.late) lines.push(`  ${late} did not answer in time`);
  return lines;
}

/** The rehearsal as a reader follows it: turn by turn, what was said, sent and recorded, and what was expected. */
export function renderSimulation(report: SimulationReport, scriptPath: string): string {
  const lines = [`simulating ${report.name ? `"${report.name}" ` : ''}(${scriptPath})`, `org ${report.orgId}, call ${report.callId}, tool calls in ${report.model} form`];
  if (report.toolsProblem) lines.push(`the tools could not be listed: ${report.toolsProblem}`);
  else lines.push(`the model sees ${report.tools.length} tool${report.tools.length === 1 ? '' : 's'}: ${report.tools.join(', ') || '(none)'}`);
  const unseen = [...new Set(report.turns.flatMap((t) => (t.toolCall && !report.toolsProblem && !report.tools.includes(t.toolCall.tool) ? [t.toolCall.tool] : [])))];
  for (const tool of unseen) lines.push(`note: ${tool} is not among the tools the model sees (missing or disabled); a model would not call it`);
  if (report.turns.some((t) => t.reason === 'EXECUTOR_UNREACHABLE')) lines.push(`the executor at ${report.executor} did not answer; is it running?`);
  const unavailable = report.turns.find((t) => t.audit.unavailable)?.audit.unavailable;
  if (unavailable) lines.push(`audit events not read: ${unavailable}`);
  if (report.prefetch) lines.push('', ...prefetchLines(report.prefetch));
  for (const turn of report.turns) lines.push('', ...turnLines(turn));
  lines.push('');
  const problems = report.turns.filter((t) => t.problem).length;
  const expectations = `${report.turns.length} turn${report.turns.length === 1 ? '' : 's'}, ${report.checked} expectation${report.checked === 1 ? '' : 's'}`;
  if (report.failed === 0) lines.push(`${expectations}: all met`);
  else lines.push(`${expectations}: ${report.failed - problems} failed${problems ? `, ${problems} turn${problems === 1 ? '' : 's'} could not run` : ''}`);
  return lines.join('\n');
}
