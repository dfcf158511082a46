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

/**
 * A starting point, never a decision: reads (GET) are conversational, anything that may change
 * data is confirmed with a prompt built from its arguments. The integrator reviews both.
 */
export function suggestBurden(method: HttpMethod, name: string, parameters: readonly Parameter[]): { burden: BurdenPolicy; why: string } {
  if (method === HttpMethod.HTTP_METHOD_GET) {
    return {
      burden: { level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, fillerPhrase: '', confirmationPrompt: '', acceptedVerificationMethods: [] },
      why: 'conversational (a GET only reads)',
    };
  }
  return {
    burden: {
      level: BurdenLevel.BURDEN_LEVEL_CONFIRMED,
      fillerPhrase: '',
      confirmationPrompt: confirmationPrompt(name, parameters),
      acceptedVerificationMethods: [],
    },
    why: 'confirmed (it may change data), with a default confirmation prompt',
  };
}
