import { describe, expect, it } from 'vitest';
import { InvokeResponse, Outcome } from '@switchboard/contracts';
import { ambientKnowledgeOf } from './ambient-knowledge.js';

describe('ambientKnowledgeOf', () => {
  it('puts succeeded lookups in the prompt and keeps failures and late ones apart', () => {
    const knowledge = ambientKnowledgeOf({
      lookups: [
        { toolKey: 'caller_profile', result: InvokeResponse.fromPartial({ outcome: Outcome.OUTCOME_SUCCESS, summary: 'The caller is Ada.', resultJson: '{"name":"Ada"}' }) },
        { toolKey: 'balance', result: InvokeResponse.fromPartial({ outcome: Outcome.OUTCOME_SUCCESS, summary: '', resultJson: '{"due":0}' }) },
        { toolKey: 'insurance', result: InvokeResponse.fromPartial({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_500' }) },
      ],
      lateToolKeys: ['history'],
    });
    expect(knowledge.promptText).toBe('- caller_profile: The caller is Ada.\n- balance: {"due":0}');
    expect(knowledge.failed).toEqual([{ toolKey: 'insurance', outcome: 'OUTCOME_UPSTREAM_ERROR', reason: 'HTTP_500' }]);
    expect(knowledge.late).toEqual(['history']);
    expect(ambientKnowledgeOf({ lookups: [], lateToolKeys: [] }).promptText).toBe('');
  });
});
