import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { Outcome } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { renderReasonTable } from './reason-table.js';
import { countsAgainstUpstream, isReason, isTransient, REASONS, reasonEntry, type Reason, type ReasonEntry } from './reasons.js';
import { SwitchboardError } from './switchboard-error.js';

const reasons = Object.keys(REASONS) as Reason[];
/** Outcomes where the response itself carries what to say: the mapped summary, or the question. */
const SAYS_ITS_OWN = new Set(['OUTCOME_SUCCESS', 'OUTCOME_ACCEPTED', 'OUTCOME_CONFIRMATION_REQUIRED']);

// Exhaustiveness is the type's job: every key of the catalogue is a Reason and every Reason has a
// complete entry; a reason outside the catalogue does not compile (typecheck runs over this file).
const complete: { readonly [R in Reason]: ReasonEntry } = REASONS;
export function _unlistedReasonDoesNotCompile(): SwitchboardError {
  // @ts-expect-error -- 'BAD_REQUEST' is not in the catalogue, so no error may carry it.
  return new SwitchboardError('BAD_REQUEST', 'x');
}

describe('the reason catalogue', () => {
  it('gives every reason an outcome of executor.proto, a gRPC status, an HTTP status, a sentence and a meaning', () => {
    for (const reason of reasons) {
      const e = complete[reason];
      expect(reason, reason).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(Outcome[e.outcome], `${reason}.outcome`).toBeTypeOf('number');
      expect(status[e.grpc], `${reason}.grpc`).toBeTypeOf('number');
      expect(Number.isInteger(e.http) && e.http >= 200 && e.http <= 599, `${reason}.http ${e.http}`).toBe(true);
      expect(e.means.length, `${reason}.means`).toBeGreaterThan(10);
      if (SAYS_ITS_OWN.has(e.outcome)) expect(e.agent, `${reason}.agent`).toBe('');
      else expect(e.agent, `${reason}.agent`).toMatch(/^[A-Z].*[.?!]$/);
    }
  });

  it('answers errors with an error status and successes with OK', () => {
    for (const reason of reasons) {
      const e = REASONS[reason];
      const success = e.outcome === 'OUTCOME_SUCCESS' || e.outcome === 'OUTCOME_ACCEPTED';
      expect(e.grpc === 'OK', reason).toBe(success);
      expect(e.http < 300, reason).toBe(success);
    }
  });

  it('keeps one reason per meaning: the model\'s arguments and a malformed request are two, and nothing else spells either', () => {
    expect(REASONS.INVALID_ARGUMENTS).toMatchObject({ outcome: 'OUTCOME_INVALID_ARGUMENTS', grpc: 'INVALID_ARGUMENT', http: 422 });
    expect(REASONS.INVALID_REQUEST).toMatchObject({ grpc: 'INVALID_ARGUMENT', http: 400 });
    for (const retired of ['INVALID_ARGUMENT', 'BAD_REQUEST', 'GATEWAY_NOT_AUTHORISED', 'REGISTRY_UNAVAILABLE', 'EXECUTOR_UNAVAILABLE']) {
      expect(isReason(retired), retired).toBe(false);
    }
  });

  it('maps DELIVERY_QUEUE_UNAVAILABLE to a documented outcome: TIMEOUT, since the delivery may still happen', () => {
    expect(REASONS.DELIVERY_QUEUE_UNAVAILABLE).toMatchObject({ outcome: 'OUTCOME_TIMEOUT', grpc: 'UNAVAILABLE' });
  });

  it('says which failures a later attempt may fix, and which the upstream is not to blame for', () => {
    const transient = reasons.filter((r) => isTransient(r));
    expect(transient.sort()).toEqual(['AUTH_FAILED', 'CIRCUIT_OPEN', 'INTERNAL', 'TIMEOUT', 'UPSTREAM_SERVER_ERROR', 'UPSTREAM_UNREACHABLE']);
    expect(isTransient('HTTP_503')).toBe(false);
    const spared = reasons.filter((r) => !countsAgainstUpstream(r));
    expect(spared.sort()).toEqual(['AUTH_FAILED', 'EGRESS_BLOCKED', 'INVALID_ARGUMENTS', 'UPSTREAM_CLIENT_ERROR']);
  });

  it('knows its own keys and nothing inherited', () => {
    expect(isReason('NOT_FOUND')).toBe(true);
    expect(isReason('toString')).toBe(false);
    expect(isReason(undefined)).toBe(false);
    expect(reasonEntry('CIRCUIT_OPEN').outcome).toBe('OUTCOME_CIRCUIT_OPEN');
  });
});

describe('SwitchboardError', () => {
  it('says the sentence of its reason, whatever a caller passed', () => {
    expect(new SwitchboardError('TIMEOUT', 'the upstream took 9 s').agentMessage).toBe(REASONS.TIMEOUT.agent);
    // One reason, one sentence: there is no per-site sentence to pass.
    // @ts-expect-error -- the options take no agentMessage.
    expect(new SwitchboardError('TIMEOUT', 'x', { agentMessage: 'something else' }).agentMessage).toBe(REASONS.TIMEOUT.agent);
  });
});

describe('docs/reasons.md', () => {
  it('is the catalogue as rendered (regenerate with `node scripts/reasons-doc.mjs` after a build)', () => {
    const file = readFileSync(new URL('../../../docs/reasons.md', import.meta.url), 'utf8');
    expect(file).toBe(renderReasonTable());
    for (const reason of reasons) expect(file, reason).toContain(`| \`${reason}\` |`);
  });
});
