// The form's Limits section: how hard every executor together may press the upstream (max_concurrent,
// rate_per_second with its burst) and how long a call may queue for its turn (max_queue_ms).
import { h } from './dom.js';
import { fieldset, get, input, optionalDecimal, optionalNumber, put, putSub, sub, text, type DefinitionDocument, type FormFields, type FormSection } from './form-kit.js';

export function limitsSection(fields: FormFields): FormSection {
  const maxConcurrent = input('f-limits-max_concurrent', { inputmode: 'numeric' });
  const rate = input('f-limits-rate_per_second', { inputmode: 'decimal' });
  const burst = input('f-limits-burst', { inputmode: 'numeric' });
  const maxQueue = input('f-limits-max_queue_ms', { inputmode: 'numeric' });
  return {
    load(doc: DefinitionDocument) {
      const limits = sub(doc, 'limits');
      maxConcurrent.value = text(get(limits, 'max_concurrent'));
      rate.value = text(get(limits, 'rate_per_second'));
      burst.value = text(get(limits, 'burst'));
      maxQueue.value = text(get(limits, 'max_queue_ms'));
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
      const limits = sub(out, 'limits');
      put(limits, 'max_concurrent', optionalNumber(maxConcurrent.value));
      put(limits, 'rate_per_second', optionalDecimal(rate.value));
      put(limits, 'burst', optionalNumber(burst.value));
      put(limits, 'max_queue_ms', optionalNumber(maxQueue.value));
      putSub(out, 'limits', limits);
    },
  };
}
