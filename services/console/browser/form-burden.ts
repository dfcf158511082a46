// The form's Burden section: the level, the filler phrase, and the texts of confirmed and verified tools.
import { h } from './dom.js';
import { fieldset, get, input, listText, parseList, put, putSub, select, setOrDelete, sub, text, type DefinitionDocument, type FormChoices, type FormFields, type FormSection } from './form-kit.js';

export function burdenSection(fields: FormFields): FormSection {
  const filler = input('f-burden-filler_phrase');
  const confirmation = h('textarea', { id: 'f-burden-confirmation_prompt', name: 'f-burden-confirmation_prompt', rows: 2 });
  const methods = input('f-burden-accepted_verification_methods', { spellcheck: 'false' });
  const confirmationGroup = h('div', { id: 'f-burden-confirmed', class: 'form-group' });
  const verifiedGroup = h('div', { id: 'f-burden-verified', class: 'form-group' });
  let level = select('f-burden', [], '');

  const section: FormSection = {
    load(doc: DefinitionDocument, c: FormChoices) {
      const burdenDoc = sub(doc, 'burden');
      level = select('f-burden', c.burden, text(burdenDoc['level']));
      level.addEventListener('change', () => section.applyVisibility?.());
      filler.value = text(get(burdenDoc, 'filler_phrase'));
      confirmation.value = text(get(burdenDoc, 'confirmation_prompt'));
      methods.value = listText(get(burdenDoc, 'accepted_verification_methods'));
      confirmationGroup.replaceChildren(
        fields.row('Confirmation prompt', 'burden.confirmation_prompt', confirmation, 'What the agent asks before a confirmed call; {parameter} placeholders allowed.'),
      );
      verifiedGroup.replaceChildren(
        fields.row('Accepted verification methods', 'burden.accepted_verification_methods', methods, 'Comma separated, e.g. dob_phone_match, otp.'),
      );
      return [
        fieldset(
          'Burden',
          'f-burden-section',
          fields.row('Burden level', 'burden.level', level),
          fields.row('Filler phrase', 'burden.filler_phrase', filler, 'Said while the call runs.'),
          confirmationGroup,
          verifiedGroup,
        ),
      ];
    },
    read(out: DefinitionDocument) {
      const burdenDoc = sub(out, 'burden');
      setOrDelete(burdenDoc, 'level', level.value);
      put(burdenDoc, 'filler_phrase', filler.value);
      if (!confirmationGroup.hidden) put(burdenDoc, 'confirmation_prompt', confirmation.value);
      if (!verifiedGroup.hidden) {
        const list = parseList(methods.value);
        put(burdenDoc, 'accepted_verification_methods', list.length > 0 ? list : undefined);
      }
      putSub(out, 'burden', burdenDoc);
    },
    applyVisibility() {
      confirmationGroup.hidden = level.value !== 'confirmed';
      verifiedGroup.hidden = level.value !== 'verified';
    },
  };
  return section;
}
