import { StringFormat } from '@switchboard/contracts';

/** ITU-T E.164: a plus, a non-zero country code digit, at most 15 digits in all. */
export const PHONE_E164_PATTERN = '^\\+[1-9]\\d{1,14}$';

/**
 * A local wall-clock time, HH:MM or HH:MM:SS on a 24-hour clock. Not JSON Schema's `time` (RFC 3339
 * full-time, which needs an offset): callers book "2 pm" where the practice is, and the executor's
 * argument check accepts exactly this.
 */
export const LOCAL_TIME_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$';

const PHONE = new RegExp(PHONE_E164_PATTERN);
const LOCAL_TIME = new RegExp(LOCAL_TIME_PATTERN);
const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|[+-](\d\d)(?::?(\d\d))?)$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// Same expression as ajv-formats' full mode, so a default that passes here passes the exported schema.
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const last = month === 2 && isLeapYear(year) ? 29 : (DAYS[month] ?? 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= last;
}

/** RFC 3339 full-time, with its offset: the time part of a date-time. */
function isFullTime(text: string): boolean {
  const m = TIME.exec(text);
  if (!m) return false;
  const offsetHours = Number(m[5] ?? 0);
  const offsetMinutes = Number(m[6] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return false;
  // Leap seconds (23:59:60 UTC) are rare enough on a phone line that refusing them is simpler than the arithmetic.
  return Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3]) < 60;
}

function isDateTime(text: string): boolean {
  const parts = text.split(/t|\s/i);
  return parts.length === 2 && isDate(parts[0] ?? '') && isFullTime(parts[1] ?? '');
}

/** Whether a string satisfies one of the definition's formats; UNSPECIFIED accepts everything. */
export function matchesStringFormat(format: StringFormat, text: string): boolean {
  switch (format) {
    case StringFormat.STRING_FORMAT_DATE:
      return isDate(text);
    case StringFormat.STRING_FORMAT_DATE_TIME:
      return isDateTime(text);
    case StringFormat.STRING_FORMAT_TIME:
      return LOCAL_TIME.test(text);
    case StringFormat.STRING_FORMAT_EMAIL:
      return EMAIL.test(text);
    case StringFormat.STRING_FORMAT_PHONE_E164:
      return PHONE.test(text);
    case StringFormat.STRING_FORMAT_UUID:
      return UUID.test(text);
    default:
      return true;
  }
}
