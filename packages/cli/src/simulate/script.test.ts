import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSimulationScript } from './script.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/simulations');

describe('simulation scripts', () => {
  it('reads every example script in the repository', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const { script, problems } = parseSimulationScript(readFileSync(path.join(EXAMPLES, f), 'utf8'));
      expect(problems, f).toEqual([]);
      expect(script!.turns.length, f).toBeGreaterThan(0);
    }
  });

  it('reads turns: words, verification, tool call, the yes/no answer and expectations', () => {
    const { script, problems } = parseSimulationScript(`
name: booking
model: anthropic
call: { call_id: 0f8fad5b-d9cb-469f-a165-70867728950e, caller_number: "+15555550123", turn_budget_ms: 4000 }
turns:
  - caller: Book me in
    verify: otp
    asked: yes
    tool: dental_booking
    args: { date: "2025-03-03" }
    expect: { outcome: OUTCOME_CONFIRMATION_REQUIRED, says: Shall I, upstream_requests: 0, state: [patient_id] }
  - caller: "No."
    confirm: no
    expect: { outcome: declined }
`);
    expect(problems).toEqual([]);
    expect(script).toEqual({
      name: 'booking',
      model: 'anthropic',
      callId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      callerNumber: '+15555550123',
      turnBudgetMs: 4000,
      turns: [
        {
          caller: 'Book me in',
          verify: { method: 'otp', reference: '' },
          asked: true,
          tool: 'dental_booking',
          args: { date: '2025-03-03' },
          expect: { outcome: 'CONFIRMATION_REQUIRED', says: 'Shall I', upstreamRequests: 0, state: ['patient_id'] },
        },
        { caller: 'No.', asked: false, confirm: false, expect: { outcome: 'DECLINED' } },
      ],
    });
  });

  it('names every problem by its path at once', () => {
    const { script, problems } = parseSimulationScript(`
model: gemini
call: { call_id: not-a-uuid }
turns:
  - tool: x
    confirm: maybe
    expect: { outcome: BOOKED, http_status: "200", colour: red }
  - caller: hello
    expect: { outcome: SUCCESS }
  - args: { a: 1 }
`);
    expect(script).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual([
      'model',
      'call.call_id',
      'turns[0].confirm',
      'turns[0].expect.colour',
      'turns[0].expect.outcome',
      'turns[0].expect.http_status',
      'turns[1].expect',
      'turns[2].args',
    ]);
  });

  it('refuses a file that is not a script', () => {
    expect(parseSimulationScript('turns: [').problems[0]!.message).toMatch(/not valid YAML/);
    expect(parseSimulationScript('- a\n- b\n').problems).toEqual([{ field: '(file)', message: 'must be a map with turns' }]);
    expect(parseSimulationScript('name: x\n').problems).toEqual([{ field: 'turns', message: 'must be a list with at least one turn' }]);
  });

  it('reads the prefetch step (call.prefetch_ms) and refuses a wait it cannot honour', () => {
    const ok = parseSimulationScript('call: { prefetch_ms: 1200 }\nturns:\n  - caller: Hello\n');
    expect(ok.problems).toEqual([]);
    expect(ok.script?.prefetchMs).toBe(1200);
    const bad = parseSimulationScript('call: { prefetch_ms: 60000 }\nturns:\n  - caller: Hello\n');
    expect(bad.problems.map((p) => p.field)).toEqual(['call.prefetch_ms']);
  });
});
