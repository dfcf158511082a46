import { SwitchboardError } from '@switchboard/errors';
import { SharedByText } from './shared-by-text.js';

/**
 * A compiled `{{ name }}` template for the sentences the agent speaks (summaries, confirmation
 * prompts, phrases). Only dotted look-ups are supported: nothing in a template is ever evaluated.
 */
export interface TextTemplate {
  readonly source: string;
  readonly parts: readonly (string | readonly string[])[];
  /** The first segment of every look-up, e.g. `date` for `{{ date }}` and `next` for `{{ next.time }}`. */
  readonly names: readonly string[];
}

const LOOKUP = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

export class TextTemplateError extends SwitchboardError {
  constructor(message: string) {
    super('INVALID_TEXT_TEMPLATE', message);
  }
}

const compiledTemplates = new SharedByText<TextTemplate>(4_096);

/** The template compiled (shared with every other definition using the same text); throws TextTemplateError. */
export function compileTextTemplate(source: string): TextTemplate {
  return compiledTemplates.get(source, compile);
}

function compile(source: string): TextTemplate {
  const parts: (string | string[])[] = [];
  const names = new Set<string>();
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open === -1) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw new TextTemplateError(`"{{" at position ${open} is never closed with "}}"`);
    const expr = source.slice(open + 2, close).trim();
    if (!LOOKUP.test(expr)) {
      throw new TextTemplateError(`"{{${expr}}}" is not a name or a dotted path such as {{ next.time }}`);
    }
    const path = expr.split('.');
    names.add(path[0] as string);
    parts.push(path);
    i = close + 2;
  }
  return Object.freeze({ source, parts: Object.freeze(parts), names: Object.freeze([...names]) });
}

function lookup(values: unknown, path: readonly string[]): unknown {
  let current: unknown = values;
  for (const key of path) {
    // Own properties only: `{{ constructor }}` must not reach Object.prototype and render a function.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(display).join(', ');
  return JSON.stringify(value);
}

/** Renders the template; a missing value renders as an empty string. */
export function renderTextTemplate(template: TextTemplate, values: unknown): string {
  let out = '';
  for (const part of template.parts) out += typeof part === 'string' ? part : display(lookup(values, part));
  return out;
}
