// The form view of a definition: the fields an integrator needs, one section builder each (main fields,
// parameters with their samples, auth, response mapping, burden, speech, limits, cache), editing the same
// document as the YAML editor. Fields it does not show are kept.
import type { FieldError } from './api.js';
import { h } from './dom.js';
import { authSection } from './form-auth.js';
import { burdenSection } from './form-burden.js';
import { cacheSection } from './form-cache.js';
import { FormFields, NO_CHOICES, type DefinitionDocument, type FormChoices, type FormSection } from './form-kit.js';
import { limitsSection } from './form-limits.js';
import { mainSection } from './form-main.js';
import { mappingSection } from './form-mapping.js';
import { parametersSection } from './form-parameters.js';
import { speechSection } from './form-speech.js';

export type { DefinitionDocument, FormChoices } from './form-kit.js';

export interface DefinitionForm {
  readonly element: HTMLElement;
  load(document: DefinitionDocument, choices: FormChoices): void;
  /** The loaded document with the form's edits; fields the form does not show are kept as they were. */
  read(): DefinitionDocument;
  showProblems(problems: readonly FieldError[]): void;
}

/**
 * The form; `openInYaml` is offered for a problem no form field shows, so every problem has a place
 * where it can be fixed.
 */
export function createDefinitionForm(openInYaml: (problem: FieldError) => void): DefinitionForm {
  const element = h('div', { id: 'definition-form', class: 'definition-form' });
  const general = h('ul', { id: 'form-errors', class: 'errors' });
  const fields = new FormFields();
  // In page order; each reads its own fields back into the document.
  const sections: readonly FormSection[] = [
    mainSection(fields),
    parametersSection(fields),
    authSection(fields),
    mappingSection(fields),
    burdenSection(fields),
    speechSection(fields),
    limitsSection(fields),
    cacheSection(fields),
  ];
  let document: DefinitionDocument = {};

  const load = (doc: DefinitionDocument, choices: FormChoices) => {
    document = structuredClone(doc);
    fields.byField.clear();
    const nodes = sections.flatMap((s) => s.load(document, { ...NO_CHOICES, ...choices }));
    general.replaceChildren();
    element.replaceChildren(
      general,
      ...nodes.filter((n): n is Node => n !== null),
      h('p', { class: 'help' }, 'Fixed and context values, retry, breaker, delivery and the other fields are kept as they are; edit them in the YAML view.'),
    );
    for (const s of sections) s.applyVisibility?.();
  };

  const read = (): DefinitionDocument => {
    const out: DefinitionDocument = structuredClone(document);
    for (const s of sections) s.read(out);
    return out;
  };

  /** The control for a field path: the field itself, or the list it is an item of (scopes[1] → scopes); none when hidden. */
  const controlFor = (field: string) => {
    let f = field.replace(/\.in$/, '.location');
    for (;;) {
      const at = fields.byField.get(f);
      if (at) return at.control.closest('[hidden]') ? undefined : at;
      const shorter = f.replace(/\[\d+\]$/, '');
      if (shorter === f) return undefined;
      f = shorter;
    }
  };

  const showProblems = (problems: readonly FieldError[]) => {
    general.replaceChildren();
    for (const { control, message } of fields.byField.values()) {
      control.removeAttribute('aria-invalid');
      message.hidden = true;
      message.textContent = '';
    }
    for (const p of problems) {
      const at = controlFor(p.field);
      if (!at) {
        const fix = h('button', { type: 'button', class: 'link' }, p.line ? `Fix in the YAML view (line ${p.line})` : 'Fix in the YAML view');
        fix.addEventListener('click', () => openInYaml(p));
        general.appendChild(h('li', { 'data-field': p.field }, h('code', {}, p.field), `: ${p.message} `, fix));
        continue;
      }
      at.control.setAttribute('aria-invalid', 'true');
      at.message.hidden = false;
      at.message.textContent = at.message.textContent ? `${at.message.textContent}; ${p.message}` : p.message;
    }
    const first = problems.map((p) => controlFor(p.field)).find((f) => f !== undefined);
    first?.control.focus();
  };

  return { element, load, read, showProblems };
}
