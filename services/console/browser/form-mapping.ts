// The form's Response mapping section: the mapped fields (JMESPath), the summary template and the size limit.
import { h } from './dom.js';
import { fieldset, get, headerRow, input, isRecord, optionalNumber, put, putSub, setOrDelete, sub, text, type DefinitionDocument, type FormFields, type FormSection } from './form-kit.js';

interface MappingRow {
  readonly original: DefinitionDocument;
  readonly name: HTMLInputElement;
  readonly expression: HTMLInputElement;
}

export function mappingSection(fields: FormFields): FormSection {
  const body = h('tbody', {});
  const summary = h('textarea', { id: 'f-response_mapping-summary_template', name: 'f-response_mapping-summary_template', rows: 2, spellcheck: 'false' });
  const maxBytes = input('f-response_mapping-max_result_bytes', { inputmode: 'numeric' });
  const addButton = h('button', { type: 'button', id: 'f-add-mapping' }, 'Add mapped field');
  let mappings: MappingRow[] = [];

  const addMapping = (original: DefinitionDocument) => {
    const i = mappings.length;
    const n = i + 1;
    const name = h('input', { id: `f-mapping-${i}-name`, 'aria-label': `Mapped field ${n} name`, spellcheck: 'false' });
    name.value = text(original['name']);
    const expression = h('input', { id: `f-mapping-${i}-expression`, 'aria-label': `Mapped field ${n} JMESPath expression`, spellcheck: 'false', autocapitalize: 'off' });
    expression.value = text(original['expression']);
    const at = `response_mapping.fields[${i}]`;
    const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove mapped field ${n}` }, 'Remove');
    const entry: MappingRow = { original, name, expression };
    remove.addEventListener('click', () => {
      renderMappings(mappings.filter((m) => m !== entry).map(readMapping));
      (mappings[Math.min(i, mappings.length - 1)]?.name ?? addButton).focus();
    });
    mappings.push(entry);
    body.appendChild(
      h(
        'tr',
        { 'data-index': i },
        h('td', {}, name, fields.register(`${at}.name`, name)),
        h('td', {}, expression, fields.register(`${at}.expression`, expression)),
        h('td', {}, remove),
      ),
    );
  };

  const readMapping = (m: MappingRow): DefinitionDocument => {
    const out: DefinitionDocument = { ...m.original };
    setOrDelete(out, 'name', m.name.value.trim());
    setOrDelete(out, 'expression', m.expression.value.trim());
    return out;
  };

  const renderMappings = (list: readonly DefinitionDocument[]) => {
    fields.forget('response_mapping.fields[');
    mappings = [];
    body.replaceChildren();
    list.forEach(addMapping);
  };

  addButton.addEventListener('click', () => {
    addMapping({});
    mappings.at(-1)?.name.focus();
  });

  return {
    load(doc: DefinitionDocument) {
      const mappingDoc = sub(doc, 'response_mapping');
      const mapped = get(mappingDoc, 'fields');
      renderMappings(Array.isArray(mapped) ? mapped.filter(isRecord) : []);
      summary.value = text(get(mappingDoc, 'summary_template'));
      maxBytes.value = text(get(mappingDoc, 'max_result_bytes'));
      const table = h('table', { id: 'f-mapping-fields' }, h('caption', {}, 'Mapped fields'), headerRow(['Name', 'JMESPath expression', '']), body);
      return [
        fieldset(
          'Response mapping',
          'f-response_mapping',
          h('div', { class: 'table-wrap' }, table),
          h('div', { class: 'actions' }, addButton),
          fields.row('Summary template', 'response_mapping.summary_template', summary, 'What the agent says about the result, e.g. "The item is {{ status }}."'),
          fields.row('Max result bytes', 'response_mapping.max_result_bytes', maxBytes),
        ),
      ];
    },
    read(out: DefinitionDocument) {
      const mappingDoc = sub(out, 'response_mapping');
      const mapped = mappings.map(readMapping);
      put(mappingDoc, 'fields', mapped.length > 0 ? mapped : undefined);
      put(mappingDoc, 'summary_template', summary.value);
      put(mappingDoc, 'max_result_bytes', optionalNumber(maxBytes.value));
      putSub(out, 'response_mapping', mappingDoc);
    },
  };
}
