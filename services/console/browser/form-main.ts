// The form's main fields: key, name, description, method, URL template and timeouts.
import { h } from './dom.js';
import { isRecord, optionalNumber, select, setOrDelete, text, type DefinitionDocument, type FormChoices, type FormFields, type FormSection } from './form-kit.js';

export function mainSection(fields: FormFields): FormSection {
  const key = h('input', { id: 'f-key', name: 'f-key', autocapitalize: 'off', spellcheck: 'false' });
  const name = h('input', { id: 'f-name', name: 'f-name' });
  const description = h('textarea', { id: 'f-description', name: 'f-description', rows: 3 });
  const url = h('input', { id: 'f-url_template', name: 'f-url_template', spellcheck: 'false' });
  const total = h('input', { id: 'f-timeouts-total_ms', name: 'f-timeouts-total_ms', inputmode: 'numeric' });
  const connect = h('input', { id: 'f-timeouts-connect_ms', name: 'f-timeouts-connect_ms', inputmode: 'numeric' });
  let method = select('f-method', [], '');

  return {
    load(doc: DefinitionDocument, c: FormChoices) {
      key.value = text(doc['key']);
      name.value = text(doc['name']);
      description.value = text(doc['description']);
      url.value = text(doc['url_template']);
      method = select('f-method', c.method, text(doc['method']).toUpperCase());
      const timeouts = isRecord(doc['timeouts']) ? doc['timeouts'] : {};
      total.value = text(timeouts['total_ms']);
      connect.value = text(timeouts['connect_ms']);
      return [
        fields.row('Key', 'key', key, 'The tool name the agent sees: lower case, digits and _.'),
        fields.row('Name', 'name', name),
        fields.row('Description', 'description', description, 'What the tool does and when the agent should use it.'),
        fields.row('Method', 'method', method),
        fields.row('URL template', 'url_template', url, 'https://…, with {parameter} placeholders for path parameters.'),
        h('div', { class: 'form-pair' }, fields.row('Total timeout (ms)', 'timeouts.total_ms', total), fields.row('Connect timeout (ms)', 'timeouts.connect_ms', connect)),
      ];
    },
    read(out: DefinitionDocument) {
      setOrDelete(out, 'key', key.value.trim());
      setOrDelete(out, 'name', name.value);
      setOrDelete(out, 'description', description.value);
      setOrDelete(out, 'method', method.value);
      setOrDelete(out, 'url_template', url.value.trim());
      const timeouts: DefinitionDocument = isRecord(out['timeouts']) ? { ...out['timeouts'] } : {};
      setOrDelete(timeouts, 'total_ms', optionalNumber(total.value));
      setOrDelete(timeouts, 'connect_ms', optionalNumber(connect.value));
      setOrDelete(out, 'timeouts', Object.keys(timeouts).length > 0 ? timeouts : undefined);
    },
  };
}
