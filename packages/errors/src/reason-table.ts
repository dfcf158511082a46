import { REASONS, type Reason } from './reasons.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/**
 * docs/reasons.md: the catalogue as a Markdown reference, in the catalogue's order. Written by
 * `node scripts/reasons-doc.mjs` (after a build); a test fails when the file and the catalogue differ.
 */
export function renderReasonTable(): string {
  const rows = (Object.keys(REASONS) as Reason[]).map((reason) => {
    const e = REASONS[reason];
    const says = e.agent || (e.outcome === 'OUTCOME_CONFIRMATION_REQUIRED' ? '(the confirmation question)' : '(the mapped summary)');
    return `| \`${reason}\` | \`${e.outcome}\` | \`${e.grpc}\` | ${e.http} | ${cell(says)} | ${cell(e.means)} |`;
  });
  return [
    '# Reasons',
    '',
    '<!-- Generated from packages/errors/src/reasons.ts by `node scripts/reasons-doc.mjs`; do not edit by hand. -->',
    '',
    'Every stable reason code a Switchboard part reports: in an `InvokeResponse` (`reason`), an audit event,',
    'a gRPC error (metadata `x-switchboard-reason`), or a console / MCP error body (`reason`). Each has one',
    'outcome (the `Outcome` an invocation ends with; `OUTCOME_INTERNAL` for reasons no invocation can end',
    'with), one gRPC status, one HTTP status (console, MCP gateway) and one sentence the voice agent may say.',
    'Upstream answers are also reported as `HTTP_<status>` with the outcome of `UPSTREAM_CLIENT_ERROR` /',
    '`UPSTREAM_SERVER_ERROR`; a definition may replace their sentence with its own failure phrase.',
    '',
    '| reason | outcome | gRPC status | HTTP | agent says | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
