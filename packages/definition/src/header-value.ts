/** Longest header value sent; longer ones are refused rather than risk an upstream's header limit. */
export const MAX_HEADER_VALUE_LENGTH = 8192;

const LINE_BREAK_OR_NUL = /[\r\n\0]/;
// What undici accepts in a header value (RFC 9110 field-value: HTAB, SP, VCHAR, obs-text); anything
// else would fail later with an untyped error.
const NOT_HEADER_TEXT = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Why a text cannot be sent as a header value, as the rest of a sentence, or undefined when it can.
 * Used for a definition's own header values when it is saved and for arguments on every call.
 */
export function headerValueProblem(text: string): string | undefined {
  // A line break would end the header and let the value write headers of its own.
  if (LINE_BREAK_OR_NUL.test(text)) return 'must not contain a line break or NUL character';
  if (NOT_HEADER_TEXT.test(text)) return 'may only contain printable Latin-1 characters, as it is sent in a header';
  if (text.length > MAX_HEADER_VALUE_LENGTH) return `must be at most ${MAX_HEADER_VALUE_LENGTH} characters long`;
  return undefined;
}

/** The header text of a scalar JSON value from a definition (a fixed value, a default, an enum value). */
export function scalarHeaderText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
