import { describe, expect, it } from 'vitest';
import { renderSimulation } from './render.js';
import type { SimulationReport } from './run-simulation.js';

const report: SimulationReport = {
  name: 'start of a call',
  executor: '127.0.0.1:50052',
  orgId: 'demo',
  callId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  model: 'openai',
  tools: ['caller_profile'],
  toolsProblem: '',
  prefetch: {
    knowledge: {
      known: [{ toolKey: 'caller_profile', summary: 'The caller is Ada.', resultJson: '{"name":"Ada"}' }],
      failed: [{ toolKey: 'insurance', outcome: 'OUTCOME_UPSTREAM_ERROR', reason: 'HTTP_500' }],
      late: ['history'],
      promptText: '- caller_profile: The caller is Ada.',
    },
  },
  turns: [],
  failed: 0,
  checked: 0,
};

describe('renderSimulation', () => {
  it('shows the prefetch step: what the agent knows at call start and what did not make it', () => {
    const text = renderSimulation(report, 'start.yaml');
    expect(text).toContain(
      [
        'prefetch (at call start, before the first word)',
        '  the agent knows:',
        '  - caller_profile: The caller is Ada.',
        '  insurance failed: UPSTREAM_ERROR (HTTP_500); the agent says nothing about it',
        '  history did not answer in time',
      ].join('\n'),
    );
    expect(renderSimulation({ ...report, prefetch: { problem: 'executor down' } }, 's.yaml')).toContain('  problem: executor down');
  });
});
