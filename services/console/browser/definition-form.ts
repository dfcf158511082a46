// The form view of a definition: its main fields, editing the same document as the YAML editor.
import type { FieldError } from './api.js';
import { h } from './dom.js';

export type DefinitionDocument = Record<string, unknown>;

export interface FormChoices {
  readonly method: readonly string[];
  readonly burden: readonly string[];
  readonly type: readonly string[];
  readonly location: readonly string[];
}

export interface DefinitionForm {
  readonly element: HTMLElement;
  load(document: DefinitionDocument, choices: FormChoices): void;
  /** The loaded document with the form's edits; fields the form does not show are kept as they were. */
  read(): DefinitionDocument;
  showProblems(problems: readonly FieldError[]): void;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface ParamRow {
  readonly original: DefinitionDocument;
  readonly tr: HTMLTableRowElement;
  readonly name: HTMLInputElement;
  readonly type: HTMLSelectElement;
  readonly required: HTMLInputElement;
  readonly location: HTMLSelectElement;
  readonly description: HTMLInputElement;
}

const isRecord = (v: unknown): v is DefinitionDocument => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function select(id: string, options: readonly string[], value: string, label?: string): HTMLSelectElement {
  const el = h('select', { id, name: id, 'aria-label': label }, h('option', { value: '' }, '(not set)'), ...options.map((o) => h('option', { value: o }, o)));
  if (value && !options.includes(value)) el.appendChild(h('option', { value }, value));
  el.value = value;
  return el;
}

function setOrDelete(target: DefinitionDocument, name: string, value: unknown): void {
  if (value === '' || value === undefined) delete target[name];
  else target[name] = value;
}

/** Numbers stay numbers; anything else typed is kept as text so the registry reports it at its field. */
function numberOrText(value: string): number | string {
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export function createDefinitionForm(): DefinitionForm {
  const element = h('div', { id: 'definition-form', class: 'definition-form' });
  const general = h('ul', { id: 'form-errors', class: 'errors' });
  /** Every control by the registry field path it edits, with the message element beside it. */
  const fields = new Map<string, { control: Control; message: HTMLElement }>();
  let document: DefinitionDocument = {};
  let choices: FormChoices = { method: [], burden: [], type: [], location: [] };
  let params: ParamRow[] = [];
  const tbody = h('tbody', {});

  const register = (field: string, control: Control): HTMLElement => {
    const message = h('span', { id: `${control.id}-error`, class: 'field-error error', hidden: true });
    control.dataset['field'] = field;
    control.setAttribute('aria-describedby', message.id);
    fields.set(field, { control, message });
    return message;
  };

  const row = (label: string, field: string, control: Control, help?: string) =>
    h('div', { class: 'form-row' }, h('label', { for: control.id }, label), help ? h('p', { class: 'help' }, help) : null, control, register(field, control));

  const addParam = (original: DefinitionDocument) => {
    const i = params.length;
    const name = h('input', { id: `f-param-${i}-name`, 'aria-label': `Parameter ${i + 1} name` });
    name.value = text(original['name']);
    const type = select(`f-param-${i}-type`, choices.type, text(original['type']), `Parameter ${i + 1} type`);
    const required = h('input', { id: `f-param-${i}-required`, type: 'checkbox', 'aria-label': `Parameter ${i + 1} required` });
    required.checked = original['required'] === true;
    const location = select(`f-param-${i}-location`, choices.location, text(original['location'] ?? original['in']), `Parameter ${i + 1} location`);
    const description = h('input', { id: `f-param-${i}-description`, 'aria-label': `Parameter ${i + 1} description` });
    description.value = text(original['description']);
    const at = `parameters[${i}]`;
    const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove parameter ${i + 1}` }, 'Remove');
    const tr = h(
      'tr',
      { 'data-index': i },
      h('td', {}, name, register(`${at}.name`, name)),
      h('td', {}, type, register(`${at}.type`, type)),
      h('td', {}, required, register(`${at}.required`, required)),
      h('td', {}, location, register(`${at}.location`, location)),
      h('td', {}, description, register(`${at}.description`, description)),
      h('td', {}, remove),
    );
    const entry: ParamRow = { original, tr, name, type, required, location, description };
    remove.addEventListener('click', () => {
      const kept = params.filter((p) => p !== entry).map(readParam);
      renderParams(kept);
    });
    params.push(entry);
    tbody.appendChild(tr);
  };

  const readParam = (p: ParamRow): DefinitionDocument => {
    const out: DefinitionDocument = { ...p.original };
    setOrDelete(out, 'name', p.name.value.trim());
    setOrDelete(out, 'type', p.type.value);
    if (p.required.checked) out['required'] = true;
    else delete out['required'];
    const placeKey = 'in' in p.original ? 'in' : 'location';
    setOrDelete(out, placeKey, p.location.value);
    setOrDelete(out, 'description', p.description.value);
    return out;
  };

  const renderParams = (list: readonly DefinitionDocument[]) => {
    for (const key of [...fields.keys()]) if (key.startsWith('parameters[')) fields.delete(key);
    params = [];
    tbody.replaceChildren();
    list.forEach(addParam);
  };

  const top = {
    key: h('input', { id: 'f-key', name: 'f-key', autocapitalize: 'off', spellcheck: 'false' }),
    name: h('input', { id: 'f-name', name: 'f-name' }),
    description: h('textarea', { id: 'f-description', name: 'f-description', rows: 3 }),
    url: h('input', { id: 'f-url_template', name: 'f-url_template', spellcheck: 'false' }),
    total: h('input', { id: 'f-timeouts-total_ms', name: 'f-timeouts-total_ms', inputmode: 'numeric' }),
    connect: h('input', { id: 'f-timeouts-connect_ms', name: 'f-timeouts-connect_ms', inputmode: 'numeric' }),
  };
  let method = select('f-method', [], '');
  let burden = select('f-burden', [], '');

  const load = (doc: DefinitionDocument, c: FormChoices) => {
    document = structuredClone(doc);
    choices = c;
    fields.clear();
    top.key.value = text(doc['key']);
    top.name.value = text(doc['name']);
    top.description.value = text(doc['description']);
    top.url.value = text(doc['url_template']);
    method = select('f-method', c.method, text(doc['method']).toUpperCase());
    const burdenDoc = isRecord(doc['burden']) ? doc['burden'] : {};
    burden = select('f-burden', c.burden, text(burdenDoc['level']));
    const timeouts = isRecord(doc['timeouts']) ? doc['timeouts'] : {};
    top.total.value = text(timeouts['total_ms']);
    top.connect.value = text(timeouts['connect_ms']);
    const paramTable = h(
      'table',
      { id: 'f-parameters' },
      h('caption', {}, 'Parameters'),
      h('thead', {}, h('tr', {}, ...['Name', 'Type', 'Required', 'Location', 'Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
      tbody,
    );
    renderParams(Array.isArray(doc['parameters']) ? doc['parameters'].filter(isRecord) : []);
    const add = h('button', { type: 'button', id: 'f-add-parameter', onclick: () => {
      addParam({ type: 'string', location: 'query' });
      params.at(-1)?.name.focus();
    } }, 'Add parameter');
    general.replaceChildren();
    element.replaceChildren(
      general,
      row('Key', 'key', top.key, 'The tool name the agent sees: lower case, digits and _.'),
      row('Name', 'name', top.name),
      row('Description', 'description', top.description, 'What the tool does and when the agent should use it.'),
      row('Method', 'method', method),
      row('URL template', 'url_template', top.url, 'https://…, with {parameter} placeholders for path parameters.'),
      row('Burden level', 'burden.level', burden),
      h('div', { class: 'form-pair' }, row('Total timeout (ms)', 'timeouts.total_ms', top.total), row('Connect timeout (ms)', 'timeouts.connect_ms', top.connect)),
      h('div', { class: 'table-wrap' }, paramTable),
      h('div', { class: 'actions' }, add),
      h('p', { class: 'help' }, 'Authentication, response mapping and the other fields are kept as they are; edit them in the YAML view.'),
    );
  };

  const read = (): DefinitionDocument => {
    const out: DefinitionDocument = structuredClone(document);
    setOrDelete(out, 'key', top.key.value.trim());
    setOrDelete(out, 'name', top.name.value);
    setOrDelete(out, 'description', top.description.value);
    setOrDelete(out, 'method', method.value);
    setOrDelete(out, 'url_template', top.url.value.trim());
    const burdenDoc: DefinitionDocument = isRecord(out['burden']) ? { ...out['burden'] } : {};
    setOrDelete(burdenDoc, 'level', burden.value);
    setOrDelete(out, 'burden', Object.keys(burdenDoc).length > 0 ? burdenDoc : undefined);
    const timeouts: DefinitionDocument = isRecord(out['timeouts']) ? { ...out['timeouts'] } : {};
    setOrDelete(timeouts, 'total_ms', top.total.value.trim() === '' ? undefined : numberOrText(top.total.value));
    setOrDelete(timeouts, 'connect_ms', top.connect.value.trim() === '' ? undefined : numberOrText(top.connect.value));
    setOrDelete(out, 'timeouts', Object.keys(timeouts).length > 0 ? timeouts : undefined);
    const list = params.map(readParam);
    setOrDelete(out, 'parameters', list.length > 0 ? list : undefined);
    return out;
  };

  const showProblems = (problems: readonly FieldError[]) => {
    general.replaceChildren();
    for (const { control, message } of fields.values()) {
      control.removeAttribute('aria-invalid');
      message.hidden = true;
      message.textContent = '';
    }
    for (const p of problems) {
      // The field itself, or the nearest field path the form shows (parameters[1].enum → none: listed on top).
      const at = fields.get(p.field) ?? fields.get(p.field.replace(/\.in$/, '.location'));
      if (!at) {
        general.appendChild(h('li', { 'data-field': p.field }, h('code', {}, p.field), `: ${p.message}`));
        continue;
      }
      at.control.setAttribute('aria-invalid', 'true');
      at.message.hidden = false;
      at.message.textContent = at.message.textContent ? `${at.message.textContent}; ${p.message}` : p.message;
    }
    const first = problems.map((p) => fields.get(p.field)).find((f) => f !== undefined);
    first?.control.focus();
  };

  return { element, load, read, showProblems };
}
