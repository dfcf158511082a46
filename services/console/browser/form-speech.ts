// The form's Speech section: what the agent says when the tool starts, while it waits and when it fails.
import { h } from './dom.js';
import { fieldset, get, input, optionalNumber, put, putSub, sub, text, type DefinitionDocument, type FormFields, type FormSection } from './form-kit.js';

export function speechSection(fields: FormFields): FormSection {
  const start = input('f-speech-start_phrase');
  const delay = input('f-speech-delay_phrase');
  const delayAfter = input('f-speech-delay_after_ms', { inputmode: 'numeric' });
  const failure = input('f-speech-failure_phrase');
  return {
    load(doc: DefinitionDocument) {
      const speechDoc = sub(doc, 'speech');
      start.value = text(get(speechDoc, 'start_phrase'));
      delay.value = text(get(speechDoc, 'delay_phrase'));
      delayAfter.value = text(get(speechDoc, 'delay_after_ms'));
      failure.value = text(get(speechDoc, 'failure_phrase'));
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
      const speechDoc = sub(out, 'speech');
      put(speechDoc, 'start_phrase', start.value);
      put(speechDoc, 'delay_phrase', delay.value);
      put(speechDoc, 'delay_after_ms', optionalNumber(delayAfter.value));
      put(speechDoc, 'failure_phrase', failure.value);
      putSub(out, 'speech', speechDoc);
    },
  };
}
