import type { TurnExpectation } from './script.js';
import type { TurnReport } from './run-simulation.js';

export interface ExpectationResult {
  readonly ok: boolean;
  /** e.g. `outcome SUCCESS`, `says "booked"`. */
  readonly expected: string;
  /** What happened instead, when it failed. */
  readonly actual: string;
}

type Observed = Pick<TurnReport, 'outcome' | 'reason' | 'httpStatus' | 'spoken' | 'upstreamRequests' | 'audit' | 'problem'> & { readonly callState?: readonly string[] };

/** Every expectation of a turn against what happened in it, one result each (in a fixed order). */
export function checkExpectations(expect: TurnExpectation | undefined, turn: Observed): ExpectationResult[] {
  if (!expect) return [];
  const out: ExpectationResult[] = [];
  const nothing = turn.problem ? `nothing (${turn.problem})` : 'nothing';
  if (expect.outcome !== undefined) {
    out.push({ ok: turn.outcome === expect.outcome, expected: `outcome ${expect.outcome}`, actual: turn.outcome ? `outcome ${turn.outcome}${turn.reason ? ` (${turn.reason})` : ''}` : nothing });
  }
  if (expect.reason !== undefined) {
    out.push({ ok: turn.reason === expect.reason, expected: `reason ${expect.reason}`, actual: turn.reason ? `reason ${turn.reason}` : nothing });
  }
  if (expect.says !== undefined) {
    const said = turn.spoken.map((l) => l.text).join(' ');
    out.push({
      ok: said.toLowerCase().includes(expect.says.toLowerCase()),
      expected: `says "${expect.says}"`,
      actual: said ? `the agent said "${said}"` : 'the agent said nothing',
    });
  }
  if (expect.httpStatus !== undefined) {
    out.push({ ok: turn.httpStatus === expect.httpStatus, expected: `HTTP ${expect.httpStatus}`, actual: turn.httpStatus ? `HTTP ${turn.httpStatus}` : 'no HTTP status' });
  }
  if (expect.upstreamRequests !== undefined) {
    let actual: string;
    if (turn.upstreamRequests !== undefined) actual = `${turn.upstreamRequests} upstream request(s)`;
    else if (turn.audit.unavailable) actual = `unknown: the audit events could not be read (${turn.audit.unavailable})`;
    else if (turn.audit.missing.length > 0) actual = `unknown: no audit event arrived for ${turn.audit.missing.join(', ')}`;
    else actual = nothing;
    out.push({ ok: turn.upstreamRequests === expect.upstreamRequests, expected: `${expect.upstreamRequests} upstream request(s)`, actual });
  }
  if (expect.state !== undefined) {
    const set = turn.callState ?? [];
    out.push({
      ok: expect.state.every((name) => set.includes(name)),
      expected: `call state ${expect.state.map((n) => `${n}: set`).join(', ')}`,
      actual: set.length > 0 ? `call state ${set.map((n) => `${n}: set`).join(', ')}` : 'no call state set',
    });
  }
  return out;
}
