/** A JSON object as read from the document: every access goes through the guards below. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(value: JsonObject, key: string): JsonObject | undefined {
  const v = value[key];
  return isObject(v) ? v : undefined;
}

export function stringAt(value: JsonObject, key: string): string | undefined {
  const v = value[key];
  return typeof v === 'string' ? v : undefined;
}

export function numberAt(value: JsonObject, key: string): number | undefined {
  const v = value[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function arrayAt(value: JsonObject, key: string): unknown[] | undefined {
  const v = value[key];
  return Array.isArray(v) ? (v as unknown[]) : undefined;
}

/** Own entries whose value is an object, e.g. `paths`, `properties`, `securitySchemes`. */
export function objectEntries(value: JsonObject | undefined): [string, JsonObject][] {
  if (value === undefined) return [];
  return Object.entries(value).filter((e): e is [string, JsonObject] => isObject(e[1]));
}

/** One line, no runs of white space: descriptions are read by a model and spoken, not rendered. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts text to `max` characters at a word boundary, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  const room = text.slice(0, max - 1);
  const space = room.lastIndexOf(' ');
  return { text: `${(space > max / 2 ? room.slice(0, space) : room).trimEnd()}…`, cut: true };
}
