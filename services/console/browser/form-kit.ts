// What every section of the definition form shares: reading and writing the document (snake_case or
// camelCase keys, as the registry accepts) and the field registry that puts each problem beside its control.
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
  readonly cacheScope: readonly string[];
}

export const NO_CHOICES: FormChoices = { method: [], burden: [], type: [], location: [], auth: [], apiKeyIn: [], format: [], cacheScope: [] };

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * One section of the form: it builds its controls from the loaded document and writes its fields back
 * into the copy `read` returns. Fields a section does not show are left as they were.
 */
export interface FormSection {
  load(doc: DefinitionDocument, choices: FormChoices): (Node | null)[];
  read(out: DefinitionDocument): void;
  /** Shows the controls that apply to the values chosen (hidden ones are kept as loaded). */
  applyVisibility?(): void;
}

export const isRecord = (v: unknown): v is DefinitionDocument => typeof v === 'object' && v !== null && !Array.isArray(v);
export const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

export function select(id: string, options: readonly string[], value: string, label?: string): HTMLSelectElement {
  const el = h('select', { id, name: id, 'aria-label': label }, h('option', { value: '' }, '(not set)'), ...options.map((o) => h('option', { value: o }, o)));
  if (value && !options.includes(value)) el.appendChild(h('option', { value }, value));
  el.value = value;
  return el;
}

export function setOrDelete(target: DefinitionDocument, name: string, value: unknown): void {
  if (value === '' || value === undefined) delete target[name];
  else target[name] = value;
}

const camelOf = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The key a document uses for a field: its snake name, its camel name or an alias (as the registry accepts), else snake. */
function keyIn(obj: DefinitionDocument, snake: string, aliases: readonly string[] = []): string {
  return [snake, camelOf(snake), ...aliases].find((k) => k in obj) ?? snake;
}

export const get = (obj: DefinitionDocument, snake: string, aliases?: readonly string[]): unknown => obj[keyIn(obj, snake, aliases)];

export function put(obj: DefinitionDocument, snake: string, value: unknown, aliases?: readonly string[]): void {
  setOrDelete(obj, keyIn(obj, snake, aliases), value);
}

/** A copy of a nested message of the document ({} when absent). */
export function sub(obj: DefinitionDocument, snake: string): DefinitionDocument {
  const v = get(obj, snake);
  return isRecord(v) ? { ...v } : {};
}

/** Writes a nested message back, dropping it when the form left it empty. */
export function putSub(obj: DefinitionDocument, snake: string, value: DefinitionDocument): void {
  put(obj, snake, Object.keys(value).length > 0 ? value : undefined);
}

export const listText = (v: unknown): string => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : text(v));

/** A typed list: comma separated (or also space separated, for scopes). */
export function parseList(value: string, separators: RegExp = /,/): string[] {
  return value.split(separators).map((x) => x.trim()).filter((x) => x !== '');
}

/** Numbers stay numbers; anything else typed is kept as text so the registry reports it at its field. */
function numberOrText(value: string): number | string {
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export const optionalNumber = (value: string): number | string | undefined => (value.trim() === '' ? undefined : numberOrText(value));

/** Like optionalNumber, for fields that take a fraction too (rate_per_second: 0.5). */
export function optionalDecimal(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Every control by the registry field path it edits, with the message element beside it. */
export class FormFields {
  readonly byField = new Map<string, { control: Control; message: HTMLElement }>();

  register(field: string, control: Control): HTMLElement {
    const message = h('span', { id: `${control.id}-error`, class: 'field-error error', hidden: true });
    control.dataset['field'] = field;
    control.setAttribute('aria-describedby', message.id);
    this.byField.set(field, { control, message });
    return message;
  }

  row(label: string, field: string, control: Control, help?: string): HTMLElement {
    return h('div', { class: 'form-row' }, h('label', { for: control.id }, label), help ? h('p', { class: 'help' }, help) : null, control, this.register(field, control));
  }

  /** Shows problems reported at `field` (a whole message, e.g. `cache`) at the control of `target`. */
  alias(field: string, target: string): void {
    const at = this.byField.get(target);
    if (at) this.byField.set(field, at);
  }

  /** Forgets the controls of a list that is drawn again (`parameters[`, `sample_arguments`). */
  forget(prefix: string): void {
    for (const key of [...this.byField.keys()]) if (key.startsWith(prefix)) this.byField.delete(key);
  }
}

export const input = (id: string, attrs: Record<string, string> = {}): HTMLInputElement => h('input', { id, name: id, ...attrs });

export const fieldset = (legend: string, id: string, ...children: (Node | null)[]): HTMLFieldSetElement =>
  h('fieldset', { id, class: 'form-section' }, h('legend', {}, legend), ...children);

/** A table header row whose empty heading names the Remove column for screen readers. */
export const headerRow = (titles: readonly string[]): HTMLElement =>
  h('thead', {}, h('tr', {}, ...titles.map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Remove')))));

/** One scalar field of a nested message: how its text is read back (default: as typed) and its input's attributes. */
export interface BlockField {
  readonly parse?: (value: string) => unknown;
  readonly attrs?: Record<string, string>;
}

/**
 * The text inputs of a nested message's scalar fields (`limits`, `speech`, ...), with ids
 * `f-<block>-<field>`: `load` fills them from the document, `read` writes them into a copy of the
 * message and returns it, for the section to add what is not a text input and then `putSub`.
 */
export function blockFields<K extends string>(
  block: string,
  specs: Record<K, BlockField>,
): { readonly inputs: Record<K, HTMLInputElement>; load(doc: DefinitionDocument): void; read(out: DefinitionDocument): DefinitionDocument } {
  const names = Object.keys(specs) as K[];
  const inputs = Object.fromEntries(names.map((name) => [name, input(`f-${block}-${name}`, specs[name].attrs)])) as Record<K, HTMLInputElement>;
  return {
    inputs,
    load(doc) {
      const message = sub(doc, block);
      for (const name of names) inputs[name].value = text(get(message, name));
    },
    read(out) {
      const message = sub(out, block);
      for (const name of names) put(message, name, (specs[name].parse ?? ((v: string) => v))(inputs[name].value));
      return message;
    },
  };
}
