import { UUID_PATTERN } from '@switchboard/contracts';
/**
 * The string formats a parameter may declare, checked exactly as the model is told them: `date`,
 * `date-time`, `email` and `uuid` are JSON Schema (draft 2020-12) formats in the tool schema, `time`
 * and `phone_e164` are written there as patterns. This file is the only implementation: the
 * registry's save-time check and the executor's call-time check both use it (through
 * argument-check.ts), so a saved sample argument never fails its own Test.
 */

/** ITU-T E.164: a plus, a non-zero country code digit, at most 15 digits in all. */
export const PHONE_E164_PATTERN = '^\\+[1-9]\\d{1,14}$';

/**
 * A local wall-clock time, HH:MM or HH:MM:SS on a 24-hour clock. Not JSON Schema's `time` (RFC 3339
 * full-time, which needs an offset): callers book "2 pm" where the practice is.
 */
export const LOCAL_TIME_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$';

/** Longer text is no value of any format; refusing it first keeps every check below short. */
const MAX_FORMATTED_LENGTH = 320;

const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
/**
 * RFC 3339 section 5.6 full-time. `time-numoffset` is `("+" / "-") time-hour ":" time-minute`: the
 * colon is required, so `+0100` is refused (a model told `date-time` writes `+01:00`).
 */
const FULL_TIME = /^(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:z|([+-])(\d\d):(\d\d))$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/**
 * JSON Schema's `email` is an RFC 5321 Mailbox, which is ASCII; addresses with other characters are
 * `idn-email` (RFC 6531), a format the model is not told. So `jörg@bücher.de` is refused. Same
 * expression as ajv-formats' full mode, so tools that check the exported schema agree.
 */
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
/** RFC 5321 section 4.5.3.1: a path (and so an address) holds at most 256 octets with its brackets. */
const MAX_EMAIL_LENGTH = 254;
/**
 * JSON Schema's `uuid` is "the string representation of a UUID" of RFC 4122 section 3: the 36
 * characters of hex and hyphens. `urn:uuid:…` is a URN that contains one, not one, and an upstream
 * given it in a path or field would not find the record: refused.
 */

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** RFC 3339 full-date: the shape YYYY-MM-DD. */
export function isDateShape(text: string): boolean {
  return DATE.test(text);
}

/** RFC 3339 full-date that exists in the calendar. */
export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const last = month === 2 && isLeapYear(year) ? 29 : (DAYS[month] ?? 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= last;
}

/**
 * RFC 3339 full-time, with its offset. A leap second (`:60`) is allowed where RFC 3339 section 5.7
 * allows it: at 23:59:60 UTC, whatever offset it is written in (as ajv-formats checks it).
 */
function isFullTime(text: string): boolean {
  const m = FULL_TIME.exec(text);
  if (!m) return false;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = Number(m[3]);
  const sign = m[4] === '-' ? -1 : 1;
  const offsetHours = Number(m[5] ?? 0);
  const offsetMinutes = Number(m[6] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59 || hour > 23 || minute > 59 || second > 60) return false;
  if (second < 60) return true;
  const utcMinutes = (((hour * 60 + minute - sign * (offsetHours * 60 + offsetMinutes)) % 1440) + 1440) % 1440;
  return utcMinutes === 23 * 60 + 59;
}

/** RFC 3339 date-time: full-date "T" full-time; "t" and a space (section 5.6's note) are read as "T". */
export function isDateTime(text: string): boolean {
  if (text.length > MAX_FORMATTED_LENGTH) return false;
  const parts = text.split(/[Tt ]/);
  return parts.length === 2 && isDate(parts[0] ?? '') && isFullTime(parts[1] ?? '');
}

export function isEmail(text: string): boolean {
  return text.length <= MAX_EMAIL_LENGTH && EMAIL.test(text);
}

export function isUuid(text: string): boolean {
  return text.length === 36 && UUID_PATTERN.test(text);
}
