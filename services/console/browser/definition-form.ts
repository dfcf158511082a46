// The form view of a definition: the fields an integrator needs (main fields, parameters, auth, response
// mapping, burden texts, speech), editing the same document as the YAML editor. Fields it does not show are kept.
import type { FieldError } from './api.js';
import { h } from './dom.js';

export type DefinitionDocument = Record<string, unknown>;

export interface FormChoices {
  readonly method: readonly string[];
  readonly burden: readonly string[];
  readonly type: readonly string[];
  readonly location: readonly string[];
  readonly auth: readonly string[];
  readonly apiKeyIn: readonly string[];
  readonly format: readonly string[];
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
  readonly format: HTMLSelectElement;
  readonly enumValues: HTMLInputElement;
  /** The enum list as loaded: unchanged text keeps the original values (and their types). */
  readonly enumLoaded: string;
  readonly sensitive: HTMLInputElement;
  readonly wireName: HTMLInputElement;
  /** This parameter's sample argument: follows the parameter through renames. */
  readonly sample: HTMLInputElement;
}

interface MappingRow {
  readonly original: DefinitionDocument;
  readonly name: HTMLInputElement;
  readonly expression: HTMLInputElement;
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

const camelOf = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The key a document uses for a field: its snake name, its camel name or an alias (as the registry accepts), else snake. */
function keyIn(obj: DefinitionDocument, snake: string, aliases: readonly string[] = []): string {
  return [snake, camelOf(snake), ...aliases].find((k) => k in obj) ?? snake;
}

const get = (obj: DefinitionDocument, snake: string, aliases?: readonly string[]): unknown => obj[keyIn(obj, snake, aliases)];

function put(obj: DefinitionDocument, snake: string, value: unknown, aliases?: readonly string[]): void {
  setOrDelete(obj, keyIn(obj, snake, aliases), value);
}

/** A copy of a nested message of the document ({} when absent). */
function sub(obj: DefinitionDocument, snake: string): DefinitionDocument {
  const v = get(obj, snake);
  return isRecord(v) ? { ...v } : {};
}

/** Writes a nested message back, dropping it when the form left it empty. */
function putSub(obj: DefinitionDocument, snake: string, value: DefinitionDocument): void {
  put(obj, snake, Object.keys(value).length > 0 ? value : undefined);
}

const listText = (v: unknown): string => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : text(v));

/** A typed list: comma separated (or also space separated, for scopes). */
function parseList(value: string, separators: RegExp = /,/): string[] {
  return value.split(separators).map((x) => x.trim()).filter((x) => x !== '');
}

/** A sample value as the form shows it: text as is, anything else as JSON. */
const sampleText = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** A typed sample value back into the document, typed as its parameter says when it reads as that type. */
export function sampleValue(raw: string, type: string): unknown {
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

const optionalNumber = (value: string): number | string | undefined => (value.trim() === '' ? undefined : numberOrText(value));

/** Numbers stay numbers; anything else typed is kept as text so the registry reports it at its field. */
function numberOrText(value: string): number | string {
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

const OAUTH_TYPES = new Set(['oauth2_client_credentials', 'oauth2_refresh_token']);

/**
 * The form; `openInYaml` is offered for a problem no form field shows, so every problem has a place
 * where it can be fixed.
 */
export function createDefinitionForm(openInYaml: (problem: FieldError) => void): DefinitionForm {
  const element = h('div', { id: 'definition-form', class: 'definition-form' });
  const general = h('ul', { id: 'form-errors', class: 'errors' });
  const sampleBody = h('div', { id: 'f-sample-arguments' });
  /** Every control by the registry field path it edits, with the message element beside it. */
  const fields = new Map<string, { control: Control; message: HTMLElement }>();
  let document: DefinitionDocument = {};
  let choices: FormChoices = { method: [], burden: [], type: [], location: [], auth: [], apiKeyIn: [], format: [] };
  let params: ParamRow[] = [];
  let mappings: MappingRow[] = [];
  const tbody = h('tbody', {});
  const mappingBody = h('tbody', {});

  const register = (field: string, control: Control): HTMLElement => {
    const message = h('span', { id: `${control.id}-error`, class: 'field-error error', hidden: true });
    control.dataset['field'] = field;
    control.setAttribute('aria-describedby', message.id);
    fields.set(field, { control, message });
    return message;
  };

  const row = (label: string, field: string, control: Control, help?: string) =>
    h('div', { class: 'form-row' }, h('label', { for: control.id }, label), help ? h('p', { class: 'help' }, help) : null, control, register(field, control));

  const input = (id: string, attrs: Record<string, string> = {}) => h('input', { id, name: id, ...attrs });

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
    const samples = get(document, 'sample_arguments');
    sample.value = isRecord(samples) ? sampleText(samples[text(original['name'])]) : '';
    name.addEventListener('input', renderSamples);
    required.addEventListener('change', renderSamples);
    type.addEventListener('change', renderSamples);
    const at = `parameters[${i}]`;
    const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove parameter ${n}` }, 'Remove');
    const tr = h(
      'tr',
      { 'data-index': i },
      h('td', {}, name, register(`${at}.name`, name)),
      h('td', {}, type, register(`${at}.type`, type)),
      h('td', {}, required, register(`${at}.required`, required)),
      h('td', {}, location, register(`${at}.location`, location)),
      h('td', {}, description, register(`${at}.description`, description)),
      h('td', {}, format, register(`${at}.format`, format)),
      h('td', {}, enumValues, register(`${at}.enum_values`, enumValues)),
      h('td', {}, sensitive, register(`${at}.sensitive`, sensitive)),
      h('td', {}, wireName, register(`${at}.wire_name`, wireName)),
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

  /** One sample-argument field per parameter, labelled with its current name (registered at sample_arguments.<name>). */
  function renderSamples(): void {
    for (const key of [...fields.keys()]) if (key.startsWith('sample_arguments')) fields.delete(key);
    sampleBody.replaceChildren();
    for (const [i, p] of params.entries()) {
      const name = p.name.value.trim();
      const label = `${name || `Parameter ${i + 1} (no name yet)`}${p.required.checked ? ' (required)' : ''}${p.type.value ? `: ${p.type.value}` : ''}`;
      const help = p.type.value === 'array' || p.type.value === 'object' ? 'As JSON.' : undefined;
      sampleBody.appendChild(row(label, name ? `sample_arguments.${name}` : `sample_arguments[${i}]`, p.sample, help));
    }
    if (params.length === 0) sampleBody.appendChild(h('p', { class: 'muted' }, 'Add a parameter to give it a sample value.'));
  }

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
    for (const key of [...fields.keys()]) if (key.startsWith('parameters[')) fields.delete(key);
    params = [];
    tbody.replaceChildren();
    list.forEach(addParam);
    if (samples) params.forEach((p, i) => (p.sample.value = samples[i] ?? ''));
    renderSamples();
  };

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
      (mappings[Math.min(i, mappings.length - 1)]?.name ?? addMappingButton).focus();
    });
    mappings.push(entry);
    mappingBody.appendChild(
      h(
        'tr',
        { 'data-index': i },
        h('td', {}, name, register(`${at}.name`, name)),
        h('td', {}, expression, register(`${at}.expression`, expression)),
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
    for (const key of [...fields.keys()]) if (key.startsWith('response_mapping.fields[')) fields.delete(key);
    mappings = [];
    mappingBody.replaceChildren();
    list.forEach(addMapping);
  };

  const addButton = h('button', { type: 'button', id: 'f-add-parameter' }, 'Add parameter');
  addButton.addEventListener('click', () => {
    addParam({ type: 'string', location: 'query' });
    params.at(-1)?.name.focus();
  });
  const addMappingButton = h('button', { type: 'button', id: 'f-add-mapping' }, 'Add mapped field');
  addMappingButton.addEventListener('click', () => {
    addMapping({});
    mappings.at(-1)?.name.focus();
  });

  const top = {
    key: h('input', { id: 'f-key', name: 'f-key', autocapitalize: 'off', spellcheck: 'false' }),
    name: h('input', { id: 'f-name', name: 'f-name' }),
    description: h('textarea', { id: 'f-description', name: 'f-description', rows: 3 }),
    url: h('input', { id: 'f-url_template', name: 'f-url_template', spellcheck: 'false' }),
    total: h('input', { id: 'f-timeouts-total_ms', name: 'f-timeouts-total_ms', inputmode: 'numeric' }),
    connect: h('input', { id: 'f-timeouts-connect_ms', name: 'f-timeouts-connect_ms', inputmode: 'numeric' }),
  };
  const auth = {
    credential: input('f-auth-credential_id', { spellcheck: 'false', autocapitalize: 'off' }),
    apiKeyName: input('f-auth-api_key_name', { spellcheck: 'false' }),
    tokenUrl: input('f-auth-oauth2-token_url', { spellcheck: 'false', inputmode: 'url' }),
    scopes: input('f-auth-oauth2-scopes', { spellcheck: 'false' }),
    apiKeyGroup: h('div', { id: 'f-auth-api-key', class: 'form-group' }),
    oauthGroup: h('div', { id: 'f-auth-oauth2', class: 'form-group' }),
  };
  let authType = select('f-auth-type', [], '');
  let apiKeyIn = select('f-auth-api_key_in', [], '');
  const mapping = {
    summary: h('textarea', { id: 'f-response_mapping-summary_template', name: 'f-response_mapping-summary_template', rows: 2, spellcheck: 'false' }),
    maxBytes: input('f-response_mapping-max_result_bytes', { inputmode: 'numeric' }),
  };
  const burdenText = {
    filler: input('f-burden-filler_phrase'),
    confirmation: h('textarea', { id: 'f-burden-confirmation_prompt', name: 'f-burden-confirmation_prompt', rows: 2 }),
    methods: input('f-burden-accepted_verification_methods', { spellcheck: 'false' }),
    confirmationGroup: h('div', { id: 'f-burden-confirmed', class: 'form-group' }),
    verifiedGroup: h('div', { id: 'f-burden-verified', class: 'form-group' }),
  };
  const speech = {
    start: input('f-speech-start_phrase'),
    delay: input('f-speech-delay_phrase'),
    delayAfter: input('f-speech-delay_after_ms', { inputmode: 'numeric' }),
    failure: input('f-speech-failure_phrase'),
  };
  let method = select('f-method', [], '');
  let burden = select('f-burden', [], '');

  /** Shows the fields that apply to the chosen auth type and burden level (hidden ones are kept as loaded). */
  const applyVisibility = () => {
    auth.apiKeyGroup.hidden = authType.value !== 'api_key';
    auth.oauthGroup.hidden = !OAUTH_TYPES.has(authType.value);
    burdenText.confirmationGroup.hidden = burden.value !== 'confirmed';
    burdenText.verifiedGroup.hidden = burden.value !== 'verified';
  };

  const fieldset = (legend: string, id: string, ...children: (Node | null)[]) => h('fieldset', { id, class: 'form-section' }, h('legend', {}, legend), ...children);

  const load = (doc: DefinitionDocument, c: FormChoices) => {
    document = structuredClone(doc);
    choices = c;
    fields.clear();
    top.key.value = text(doc['key']);
    top.name.value = text(doc['name']);
    top.description.value = text(doc['description']);
    top.url.value = text(doc['url_template']);
    method = select('f-method', c.method, text(doc['method']).toUpperCase());
    const burdenDoc = sub(doc, 'burden');
    burden = select('f-burden', c.burden, text(burdenDoc['level']));
    burden.addEventListener('change', applyVisibility);
    const timeouts = isRecord(doc['timeouts']) ? doc['timeouts'] : {};
    top.total.value = text(timeouts['total_ms']);
    top.connect.value = text(timeouts['connect_ms']);

    const authDoc = sub(doc, 'auth');
    authType = select('f-auth-type', c.auth, text(authDoc['type']));
    authType.addEventListener('change', applyVisibility);
    auth.credential.value = text(get(authDoc, 'credential_id'));
    apiKeyIn = select('f-auth-api_key_in', c.apiKeyIn, text(get(authDoc, 'api_key_in')));
    auth.apiKeyName.value = text(get(authDoc, 'api_key_name'));
    const oauth = sub(authDoc, 'oauth2');
    auth.tokenUrl.value = text(get(oauth, 'token_url'));
    auth.scopes.value = listText(get(oauth, 'scopes'));
    auth.apiKeyGroup.replaceChildren(
      row('API key placement', 'auth.api_key_in', apiKeyIn),
      row('API key name', 'auth.api_key_name', auth.apiKeyName, 'The header or query parameter that carries the key, e.g. X-Api-Key.'),
    );
    auth.oauthGroup.replaceChildren(
      row('Token URL', 'auth.oauth2.token_url', auth.tokenUrl, 'The OAuth 2 token endpoint, https://….'),
      row('Scopes', 'auth.oauth2.scopes', auth.scopes, 'Comma or space separated.'),
    );

    const mappingDoc = sub(doc, 'response_mapping');
    const mappingFields = get(mappingDoc, 'fields');
    renderMappings(Array.isArray(mappingFields) ? mappingFields.filter(isRecord) : []);
    mapping.summary.value = text(get(mappingDoc, 'summary_template'));
    mapping.maxBytes.value = text(get(mappingDoc, 'max_result_bytes'));

    burdenText.filler.value = text(get(burdenDoc, 'filler_phrase'));
    burdenText.confirmation.value = text(get(burdenDoc, 'confirmation_prompt'));
    burdenText.methods.value = listText(get(burdenDoc, 'accepted_verification_methods'));
    burdenText.confirmationGroup.replaceChildren(
      row('Confirmation prompt', 'burden.confirmation_prompt', burdenText.confirmation, 'What the agent asks before a confirmed call; {parameter} placeholders allowed.'),
    );
    burdenText.verifiedGroup.replaceChildren(
      row('Accepted verification methods', 'burden.accepted_verification_methods', burdenText.methods, 'Comma separated, e.g. dob_phone_match, otp.'),
    );

    const speechDoc = sub(doc, 'speech');
    speech.start.value = text(get(speechDoc, 'start_phrase'));
    speech.delay.value = text(get(speechDoc, 'delay_phrase'));
    speech.delayAfter.value = text(get(speechDoc, 'delay_after_ms'));
    speech.failure.value = text(get(speechDoc, 'failure_phrase'));

    const paramTable = h(
      'table',
      { id: 'f-parameters' },
      h('caption', {}, 'Parameters'),
      h('thead', {}, h('tr', {}, ...['Name', 'Type', 'Required', 'Location', 'Description', 'Format', 'Allowed values', 'Sensitive', 'Wire name', ''].map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Remove'))))),
      tbody,
    );
    renderParams(Array.isArray(doc['parameters']) ? doc['parameters'].filter(isRecord) : []);
    const mappingTable = h(
      'table',
      { id: 'f-mapping-fields' },
      h('caption', {}, 'Mapped fields'),
      h('thead', {}, h('tr', {}, ...['Name', 'JMESPath expression', ''].map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Remove'))))),
      mappingBody,
    );
    general.replaceChildren();
    element.replaceChildren(
      general,
      row('Key', 'key', top.key, 'The tool name the agent sees: lower case, digits and _.'),
      row('Name', 'name', top.name),
      row('Description', 'description', top.description, 'What the tool does and when the agent should use it.'),
      row('Method', 'method', method),
      row('URL template', 'url_template', top.url, 'https://…, with {parameter} placeholders for path parameters.'),
      h('div', { class: 'form-pair' }, row('Total timeout (ms)', 'timeouts.total_ms', top.total), row('Connect timeout (ms)', 'timeouts.connect_ms', top.connect)),
      h('div', { class: 'table-wrap' }, paramTable),
      h('div', { class: 'actions' }, addButton),
      fieldset(
        'Sample arguments',
        'f-samples',
        h('p', { class: 'help' }, 'One value per parameter: Test starts from them, and the registry checks them against the parameters.'),
        sampleBody,
      ),
      fieldset(
        'Authentication',
        'f-auth',
        row('Auth type', 'auth.type', authType),
        row('Credential id', 'auth.credential_id', auth.credential, 'The credential that holds the secret (set its value on the Credentials page).'),
        auth.apiKeyGroup,
        auth.oauthGroup,
      ),
      fieldset(
        'Response mapping',
        'f-response_mapping',
        h('div', { class: 'table-wrap' }, mappingTable),
        h('div', { class: 'actions' }, addMappingButton),
        row('Summary template', 'response_mapping.summary_template', mapping.summary, 'What the agent says about the result, e.g. "The item is {{ status }}."'),
        row('Max result bytes', 'response_mapping.max_result_bytes', mapping.maxBytes),
      ),
      fieldset(
        'Burden',
        'f-burden-section',
        row('Burden level', 'burden.level', burden),
        row('Filler phrase', 'burden.filler_phrase', burdenText.filler, 'Said while the call runs.'),
        burdenText.confirmationGroup,
        burdenText.verifiedGroup,
      ),
      fieldset(
        'Speech',
        'f-speech',
        row('Start phrase', 'speech.start_phrase', speech.start),
        h('div', { class: 'form-pair' }, row('Delay phrase', 'speech.delay_phrase', speech.delay), row('Delay after (ms)', 'speech.delay_after_ms', speech.delayAfter)),
        row('Failure phrase', 'speech.failure_phrase', speech.failure),
      ),
      h('p', { class: 'help' }, 'Fixed and context values, retry, breaker, delivery and the other fields are kept as they are; edit them in the YAML view.'),
    );
    applyVisibility();
  };

  const read = (): DefinitionDocument => {
    const out: DefinitionDocument = structuredClone(document);
    setOrDelete(out, 'key', top.key.value.trim());
    setOrDelete(out, 'name', top.name.value);
    setOrDelete(out, 'description', top.description.value);
    setOrDelete(out, 'method', method.value);
    setOrDelete(out, 'url_template', top.url.value.trim());

    const burdenDoc = sub(out, 'burden');
    setOrDelete(burdenDoc, 'level', burden.value);
    put(burdenDoc, 'filler_phrase', burdenText.filler.value);
    if (!burdenText.confirmationGroup.hidden) put(burdenDoc, 'confirmation_prompt', burdenText.confirmation.value);
    if (!burdenText.verifiedGroup.hidden) {
      const methods = parseList(burdenText.methods.value);
      put(burdenDoc, 'accepted_verification_methods', methods.length > 0 ? methods : undefined);
    }
    putSub(out, 'burden', burdenDoc);

    const timeouts: DefinitionDocument = isRecord(out['timeouts']) ? { ...out['timeouts'] } : {};
    setOrDelete(timeouts, 'total_ms', optionalNumber(top.total.value));
    setOrDelete(timeouts, 'connect_ms', optionalNumber(top.connect.value));
    setOrDelete(out, 'timeouts', Object.keys(timeouts).length > 0 ? timeouts : undefined);
    const list = params.map(readParam);
    setOrDelete(out, 'parameters', list.length > 0 ? list : undefined);
    const samples: DefinitionDocument = {};
    for (const p of params) {
      const name = p.name.value.trim();
      if (name && p.sample.value.trim() !== '') samples[name] = sampleValue(p.sample.value, p.type.value);
    }
    put(out, 'sample_arguments', Object.keys(samples).length > 0 ? samples : undefined);

    const authDoc = sub(out, 'auth');
    setOrDelete(authDoc, 'type', authType.value);
    put(authDoc, 'credential_id', auth.credential.value.trim());
    if (!auth.apiKeyGroup.hidden) {
      put(authDoc, 'api_key_in', apiKeyIn.value);
      put(authDoc, 'api_key_name', auth.apiKeyName.value.trim());
    }
    if (!auth.oauthGroup.hidden) {
      const oauth = sub(authDoc, 'oauth2');
      put(oauth, 'token_url', auth.tokenUrl.value.trim());
      const scopes = parseList(auth.scopes.value, /[,\s]+/);
      put(oauth, 'scopes', scopes.length > 0 ? scopes : undefined);
      putSub(authDoc, 'oauth2', oauth);
    }
    putSub(out, 'auth', authDoc);

    const mappingDoc = sub(out, 'response_mapping');
    const mapped = mappings.map(readMapping);
    put(mappingDoc, 'fields', mapped.length > 0 ? mapped : undefined);
    put(mappingDoc, 'summary_template', mapping.summary.value);
    put(mappingDoc, 'max_result_bytes', optionalNumber(mapping.maxBytes.value));
    putSub(out, 'response_mapping', mappingDoc);

    const speechDoc = sub(out, 'speech');
    put(speechDoc, 'start_phrase', speech.start.value);
    put(speechDoc, 'delay_phrase', speech.delay.value);
    put(speechDoc, 'delay_after_ms', optionalNumber(speech.delayAfter.value));
    put(speechDoc, 'failure_phrase', speech.failure.value);
    putSub(out, 'speech', speechDoc);
    return out;
  };

  /** The control for a field path: the field itself, or the list it is an item of (scopes[1] → scopes); none when hidden. */
  const controlFor = (field: string) => {
    let f = field.replace(/\.in$/, '.location');
    for (;;) {
      const at = fields.get(f);
      if (at) return at.control.closest('[hidden]') ? undefined : at;
      const shorter = f.replace(/\[\d+\]$/, '');
      if (shorter === f) return undefined;
      f = shorter;
    }
  };

  const showProblems = (problems: readonly FieldError[]) => {
    general.replaceChildren();
    for (const { control, message } of fields.values()) {
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
