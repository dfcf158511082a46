// The form's Limits section: how hard every executor together may press the upstream (max_concurrent,
// rate_per_second with its burst) and how long a call may queue for its turn (max_queue_ms).
import { h } from './dom.js';
import { blockFields, fieldset, optionalDecimal, optionalNumber, putSub, type DefinitionDocument, type FormFields, type FormSection } from './form-kit.js';

const NUMBER = { parse: optionalNumber, attrs: { inputmode: 'numeric' } };

export function limitsSection(fields: FormFields): FormSection {
  const block = blockFields('limits', {
    max_concurrent: NUMBER,
    rate_per_second: { parse: optionalDecimal, attrs: { inputmode: 'decimal' } },
    burst: NUMBER,
    max_queue_ms: NUMBER,
  });
  const { max_concurrent: maxConcurrent, rate_per_second: rate, burst, max_queue_ms: maxQueue } = block.inputs;
  return {
    load(doc: DefinitionDocument) {
      block.load(doc);
      return [
        fieldset(
          'Limits',
          'f-limits',
          h('p', { class: 'help' }, 'Shared by every executor, so a busy hour cannot knock the upstream over. Empty or 0: no limit.'),
          h(
            'div',
            { class: 'form-pair' },
            fields.row('Max concurrent requests', 'limits.max_concurrent', maxConcurrent),
            fields.row('Rate (requests per second)', 'limits.rate_per_second', rate, 'e.g. 10, or 0.5 for one every two seconds.'),
          ),
          h(
            'div',
            { class: 'form-pair' },
            fields.row('Burst', 'limits.burst', burst, 'Requests that may start at once after a quiet spell (default 1).'),
            fields.row('Max queue (ms)', 'limits.max_queue_ms', maxQueue, 'How long a call waits for its turn (default 1000); longer, and the agent says the system is busy.'),
          ),
        ),
      ];
    },
    read(out: DefinitionDocument) {
      putSub(out, 'limits', block.read(out));
    },
  };
}
