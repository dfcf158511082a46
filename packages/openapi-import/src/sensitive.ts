import { ParameterType, StringFormat } from '@switchboard/contracts';
import { words } from './names.js';
import type { ParameterDraft } from './schema.js';

/** Names of values that identify a person or open an account: kept out of audit events and logs. */
const SENSITIVE = /(^| )(ssn|social security( number)?|sin|tax id|date of birth|dob|birth ?date|birthday|card number|card|pan|cvv|cvc|cvv2|security code|account number|bank account number|routing number|iban|password|passcode|pin|secret|token|api key|access token|refresh token)$/;
/** Tokens that only page through results are not secrets. */
const NOT_SECRET = /(^| )(page|next|continuation|pagination|cursor|idempotency|csrf)( |$)/;
const BIRTH_DATE = /(^| )(date of birth|dob|birth ?date|birthday)( |$)/;

/**
 * Marks a parameter sensitive when its name says it is an SSN, a date of birth, a card or account
 * number, a password, PIN or token (not a paging token), and gives a date of birth the `date` format.
 */
export function withSensitivity(name: string, draft: ParameterDraft, notes: string[]): ParameterDraft {
  const text = words(name.replace(/\./g, ' ')).join(' ').replace(/(^| )birth date( |$)/, '$1birthdate$2');
  // The name must end in what it is (`patient.dateOfBirth`, `encryptedCardNumber`), and only a string holds a secret.
  if (draft.type !== ParameterType.PARAMETER_TYPE_STRING || !SENSITIVE.test(text) || NOT_SECRET.test(text)) return draft;
  let format = draft.format;
  if (BIRTH_DATE.test(text) && format === StringFormat.STRING_FORMAT_UNSPECIFIED && draft.pattern === '') {
    format = StringFormat.STRING_FORMAT_DATE;
    notes.push(`${name} is read as a date (YYYY-MM-DD): check the API accepts that form`);
  }
  if (!draft.sensitive) notes.push(`${name} is marked sensitive: it is kept out of audit events and logs, and not read aloud`);
  return { ...draft, sensitive: true, format };
}
