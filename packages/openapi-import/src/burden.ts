import { BurdenLevel, HttpMethod, Integration, ParameterType, type BurdenPolicy, type Parameter } from '@switchboard/contracts';
import { MAX_TEMPLATE_LENGTH, confirmationPromptSource } from '@switchboard/definition';
import { words } from './names.js';

const SCALARS: readonly ParameterType[] = [
  ParameterType.PARAMETER_TYPE_STRING,
  ParameterType.PARAMETER_TYPE_NUMBER,
  ParameterType.PARAMETER_TYPE_INTEGER,
  ParameterType.PARAMETER_TYPE_BOOLEAN,
];
const PROMPT_DETAILS = 3;

/**
 * The question read to the caller before a write: the action from the integration's name and up
 * to three required values, e.g. "Shall I go ahead and book an appointment: patient id
 * {{patient_id}}, start {{start}}?".
 */
export function confirmationPrompt(name: string, parameters: readonly Parameter[]): string {
  const plain = confirmationPromptSource(Integration.fromPartial({ name }));
  const details = parameters
    .filter((p) => p.required && !p.sensitive && SCALARS.includes(p.type))
    .slice(0, PROMPT_DETAILS)
    .map((p) => `${words(p.name).join(' ') || p.name} {{${p.name}}}`);
  const prompt = details.length === 0 ? plain : `${plain.replace(/\?$/, '')}: ${details.join(', ')}?`;
  return prompt.length <= MAX_TEMPLATE_LENGTH ? prompt : plain;
}

/** What an operation is, for the burden suggestion: its method, its words (operationId, summary, path) and its parameters. */
export interface BurdenInput {
  readonly method: HttpMethod;
  /** The definition's name, used in the confirmation prompt. */
  readonly name: string;
  /** operationId, summary and path together as lower-case words: what the operation says it does. */
  readonly words: string;
  readonly parameters: readonly Parameter[];
}

/** A POST that only reads: `POST /patients/search`, `queryAvailability`, `lookupCustomer`. */
const READ_WORDS = /(^| )(search|query|list|lookup|look up|find|filter)( |$)/;
/** Data about a person's health or identity: verified before it is read or changed. */
const IDENTITY_WORDS = /patient|identity|ssn|social.?security|date.?of.?birth|birth.?date|medical|clinical|prescription|diagnos|insurance/i;

function policy(level: BurdenLevel, confirmationPrompt = ''): BurdenPolicy {
  return { level, fillerPhrase: '', confirmationPrompt, acceptedVerificationMethods: [] };
}

/**
 * A starting point, never a decision: reads (GET, and POSTs named search/query/list/lookup/find)
 * are conversational; other writes are confirmed with a prompt built from their arguments; DELETE,
 * and anything on patient or identity data, is verified. The integrator reviews all of it.
 */
export function suggestBurden(input: BurdenInput): { burden: BurdenPolicy; why: string } {
  const { method, parameters } = input;
  const identity = IDENTITY_WORDS.test(input.words) || parameters.some((p) => p.sensitive);
  if (method === HttpMethod.HTTP_METHOD_DELETE) {
    return { burden: policy(BurdenLevel.BURDEN_LEVEL_VERIFIED), why: 'verified (a DELETE removes data: the caller should be verified first; confirmed is the alternative)' };
  }
  if (identity) {
    return { burden: policy(BurdenLevel.BURDEN_LEVEL_VERIFIED), why: 'verified (it reads or changes patient or identity data: the caller should be verified first)' };
  }
  if (method === HttpMethod.HTTP_METHOD_GET) return { burden: policy(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL), why: 'conversational (a GET only reads)' };
  if (method === HttpMethod.HTTP_METHOD_POST && READ_WORDS.test(input.words)) {
    return { burden: policy(BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL), why: 'conversational (a POST whose name says it searches or looks up: it only reads)' };
  }
  return {
    burden: policy(BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt(input.name, parameters)),
    why: 'confirmed (it may change data), with a default confirmation prompt',
  };
}
