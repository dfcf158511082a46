// The form's Parameters table and, beside it, one sample argument per parameter (it follows renames).
import { h } from './dom.js';
import {
  fieldset,
  get,
  headerRow,
  isRecord,
  listText,
  parseList,
  put,
  select,
  setOrDelete,
  text,
  NO_CHOICES,
  type DefinitionDocument,
  type FormChoices,
  type FormFields,
  type FormSection,
} from './form-kit.js';

interface ParamRow {
  readonly original: DefinitionDocument;
  readonly tr: HTMLTableRowElement;
  readonly name: HTMLInputElement;
  readonly type: HTMLSelectElement;
  readonly required: HTMLInputElement;
  readonly location: HTMLSelectElement;
  readonly description: HTMLInputElement;
  readonly format: HTMLSelectElement;
  readonly enumValues: HTMLInputElement;
  /** The enum list as loaded: unchanged text keeps the original values (and their types). */
  readonly enumLoaded: string;
  readonly sensitive: HTMLInputElement;
  readonly wireName: HTMLInputElement;
  /** This parameter's sample argument: follows the parameter through renames. */
  readonly sample: HTMLInputElement;
}

/** A sample value as the form shows it: text as is, anything else as JSON. */
const sampleText = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** A typed sample value back into the document, typed as its parameter says when it reads as that type. */
function sampleValue(raw: string, type: string): unknown {
  const trimmed = raw.trim();
  if ((type === 'number' || type === 'integer') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (type === 'boolean' && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Enum values typed for the parameter's type, so the registry checks them as the type says. */
function enumValue(raw: string, type: string): unknown {
  if ((type === 'number' || type === 'integer') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

export function parametersSection(fields: FormFields): FormSection {
  const sampleBody = h('div', { id: 'f-sample-arguments' });
  const tbody = h('tbody', {});
  let loaded: DefinitionDocument = {};
  let choices: FormChoices = NO_CHOICES;
  let params: ParamRow[] = [];

  const addButton = h('button', { type: 'button', id: 'f-add-parameter' }, 'Add parameter');

  /** One sample-argument field per parameter, labelled with its current name (registered at sample_arguments.<name>). */
  function renderSamples(): void {
    fields.forget('sample_arguments');
    sampleBody.replaceChildren();
    for (const [i, p] of params.entries()) {
      const name = p.name.value.trim();
      const label = `${name || `Parameter ${i + 1} (no name yet)`}${p.required.checked ? ' (required)' : ''}${p.type.value ? `: ${p.type.value}` : ''}`;
      const help = p.type.value === 'array' || p.type.value === 'object' ? 'As JSON.' : undefined;
      sampleBody.appendChild(fields.row(label, name ? `sample_arguments.${name}` : `sample_arguments[${i}]`, p.sample, help));
    }
    if (params.length === 0) sampleBody.appendChild(h('p', { class: 'muted' }, 'Add a parameter to give it a sample value.'));
  }

  const addParam = (original: DefinitionDocument) => {
    const i = params.length;
    const n = i + 1;
    const name = h('input', { id: `f-param-${i}-name`, 'aria-label': `Parameter ${n} name` });
    name.value = text(original['name']);
    const type = select(`f-param-${i}-type`, choices.type, text(original['type']), `Parameter ${n} type`);
    const required = h('input', { id: `f-param-${i}-required`, type: 'checkbox', 'aria-label': `Parameter ${n} required` });
    required.checked = original['required'] === true;
    const location = select(`f-param-${i}-location`, choices.location, text(get(original, 'location', ['in'])), `Parameter ${n} location`);
    const description = h('input', { id: `f-param-${i}-description`, 'aria-label': `Parameter ${n} description` });
    description.value = text(original['description']);
    const format = select(`f-param-${i}-format`, choices.format, text(original['format']), `Parameter ${n} format`);
    const enumLoaded = listText(get(original, 'enum_values', ['enum']));
    const enumValues = h('input', { id: `f-param-${i}-enum`, 'aria-label': `Parameter ${n} allowed values (comma separated)`, placeholder: 'a, b, c' });
    enumValues.value = enumLoaded;
    const sensitive = h('input', { id: `f-param-${i}-sensitive`, type: 'checkbox', 'aria-label': `Parameter ${n} sensitive (redacted in logs)` });
    sensitive.checked = original['sensitive'] === true;
    const wireName = h('input', { id: `f-param-${i}-wire_name`, 'aria-label': `Parameter ${n} wire name`, spellcheck: 'false' });
    wireName.value = text(get(original, 'wire_name'));
    const sample = h('input', { id: `f-sample-${i}`, name: `f-sample-${i}`, spellcheck: 'false', autocapitalize: 'off' });
    const samples = get(loaded, 'sample_arguments');
    sample.value = isRecord(samples) ? sampleText(samples[text(original['name'])]) : '';
    name.addEventListener('input', renderSamples);
    required.addEventListener('change', renderSamples);
    type.addEventListener('change', renderSamples);
    const at = `parameters[${i}]`;
    const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove parameter ${n}` }, 'Remove');
    const cell = (field: string, control: HTMLInputElement | HTMLSelectElement) => h('td', {}, control, fields.register(`${at}.${field}`, control));
    const tr = h(
      'tr',
      { 'data-index': i },
      cell('name', name),
      cell('type', type),
      cell('required', required),
      cell('location', location),
      cell('description', description),
      cell('format', format),
      cell('enum_values', enumValues),
      cell('sensitive', sensitive),
      cell('wire_name', wireName),
      h('td', {}, remove),
    );
    const entry: ParamRow = { original, tr, name, type, required, location, description, format, enumValues, enumLoaded, sensitive, wireName, sample };
    remove.addEventListener('click', () => {
      const kept = params.filter((p) => p !== entry);
      renderParams(kept.map(readParam), kept.map((p) => p.sample.value));
      (params[Math.min(i, params.length - 1)]?.name ?? addButton).focus();
    });
    params.push(entry);
    tbody.appendChild(tr);
    renderSamples();
  };

  const readParam = (p: ParamRow): DefinitionDocument => {
    const out: DefinitionDocument = { ...p.original };
    setOrDelete(out, 'name', p.name.value.trim());
    setOrDelete(out, 'type', p.type.value);
    if (p.required.checked) out['required'] = true;
    else delete out['required'];
    put(out, 'location', p.location.value, ['in']);
    setOrDelete(out, 'description', p.description.value);
    setOrDelete(out, 'format', p.format.value);
    if (p.enumValues.value !== p.enumLoaded) {
      const values = parseList(p.enumValues.value).map((v) => enumValue(v, p.type.value));
      put(out, 'enum_values', values.length > 0 ? values : undefined, ['enum']);
    }
    if (p.sensitive.checked) out['sensitive'] = true;
    else delete out['sensitive'];
    put(out, 'wire_name', p.wireName.value.trim());
    return out;
  };

  const renderParams = (list: readonly DefinitionDocument[], samples?: readonly string[]) => {
    fields.forget('parameters[');
    params = [];
    tbody.replaceChildren();
    list.forEach(addParam);
    if (samples) params.forEach((p, i) => (p.sample.value = samples[i] ?? ''));
    renderSamples();
  };

  addButton.addEventListener('click', () => {
    addParam({ type: 'string', location: 'query' });
    params.at(-1)?.name.focus();
  });

  return {
    load(doc: DefinitionDocument, c: FormChoices) {
      loaded = doc;
      choices = c;
      const table = h(
        'table',
        { id: 'f-parameters' },
        h('caption', {}, 'Parameters'),
        headerRow(['Name', 'Type', 'Required', 'Location', 'Description', 'Format', 'Allowed values', 'Sensitive', 'Wire name', '']),
        tbody,
      );
      renderParams(Array.isArray(doc['parameters']) ? doc['parameters'].filter(isRecord) : []);
      return [
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'actions' }, addButton),
        fieldset(
          'Sample arguments',
          'f-samples',
          h('p', { class: 'help' }, 'One value per parameter: Test starts from them, and the registry checks them against the parameters.'),
          sampleBody,
        ),
      ];
    },
    read(out: DefinitionDocument) {
      const list = params.map(readParam);
      setOrDelete(out, 'parameters', list.length > 0 ? list : undefined);
      const samples: DefinitionDocument = {};
      for (const p of params) {
        const name = p.name.value.trim();
        if (name && p.sample.value.trim() !== '') samples[name] = sampleValue(p.sample.value, p.type.value);
      }
      put(out, 'sample_arguments', Object.keys(samples).length > 0 ? samples : undefined);
    },
  };
}
