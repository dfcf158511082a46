/**
 * Reads an HTTP `Retry-After` header (RFC 9110 10.2.3): a whole number of seconds, or an HTTP date.
 * Returns the wait in milliseconds (0 for a date in the past), or undefined when the value is absent
 * or unreadable, in which case the caller backs off as usual.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw)) {
    const seconds = Number(raw);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // IMF-fixdate and the two obsolete forms all carry a weekday or month name; a bare number like
  // "1.5" or "-3" is not a date, whatever Date.parse makes of it.
  if (!/[A-Za-z]{3}/.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
