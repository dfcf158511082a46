// The form's Speech section: what the agent says when the tool starts, while it waits and when it fails.
import { h } from './dom.js';
import { blockFields, fieldset, optionalNumber, putSub, type DefinitionDocument, type FormFields, type FormSection } from './form-kit.js';

export function speechSection(fields: FormFields): FormSection {
  const block = blockFields('speech', {
    start_phrase: {},
    delay_phrase: {},
    delay_after_ms: { parse: optionalNumber, attrs: { inputmode: 'numeric' } },
    failure_phrase: {},
  });
  const { start_phrase: start, delay_phrase: delay, delay_after_ms: delayAfter, failure_phrase: failure } = block.inputs;
  return {
    load(doc: DefinitionDocument) {
      block.load(doc);
      return [
        fieldset(
          'Speech',
          'f-speech',
          fields.row('Start phrase', 'speech.start_phrase', start),
          h('div', { class: 'form-pair' }, fields.row('Delay phrase', 'speech.delay_phrase', delay), fields.row('Delay after (ms)', 'speech.delay_after_ms', delayAfter)),
          fields.row('Failure phrase', 'speech.failure_phrase', failure),
        ),
      ];
    },
    read(out: DefinitionDocument) {
      putSub(out, 'speech', block.read(out));
    },
  };
}
