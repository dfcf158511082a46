import {
  BurdenLevel,
  Outcome,
  SpeechMode,
  type CallContext,
  type ConfirmationRequest,
  type GateDecision,
  type Integration,
  type SpeechGuidance,
} from '@switchboard/contracts';
import { compileTextTemplate, confirmationPromptSource, renderTextTemplate, SharedByText, speechOf, type TextTemplate } from '@switchboard/definition';
import { reasonEntry, type Reason } from '@switchboard/errors';
import type { ConfirmationBinding, ConfirmationTokens, RedeemFailure } from './confirmation-tokens.js';

export interface GateInput {
  readonly integration: Integration;
  readonly orgId: string;
  readonly callId: string;
  readonly context: CallContext | undefined;
  readonly args: Record<string, unknown>;
  /** The integrator's own Test: gates are bypassed but reported. */
  readonly test: boolean;
  /** Levels a verifier integration verified this call at, server-side, still within their TTL (call state). */
  readonly stateVerifiedLevels?: readonly string[] | undefined;
  /**
   * Whether the org accepts the runtime's own `verification` assertion for `verified` tools
   * (RUNTIME_VERIFICATION_ORGS); absent means it does.
   */
  readonly acceptsRuntimeVerification?: boolean | undefined;
}

export interface GateAllow {
  readonly kind: 'allow';
  readonly speech: SpeechGuidance;
  readonly audit: GateDecision;
  /** What a live call needs before this tool runs, e.g. "caller must ask for it" or "none". */
  readonly requirement: string;
}

export interface GateBlock {
  readonly kind: 'block';
  readonly outcome: Outcome;
  readonly reason: Reason;
  readonly agentMessage: string;
  readonly detail: string;
  readonly confirmation?: ConfirmationRequest;
  readonly speech: SpeechGuidance;
  readonly audit: GateDecision;
}

export type GateResult = GateAllow | GateBlock;

export type GateDecisionName = 'ALLOWED' | 'BLOCKED' | 'CONFIRMATION_ISSUED' | 'CONFIRMED' | 'BYPASSED_FOR_TEST';

export interface BurdenGateOptions {
  readonly tokens: ConfirmationTokens;
}


const TOKEN_DETAILS: Record<RedeemFailure, string> = {
  TOKEN_INVALID: 'the confirmation token is malformed or was not issued by Switchboard',
  TOKEN_EXPIRED: 'the confirmation token has expired; ask the caller again',
  TOKEN_MISMATCH:
    'the confirmation token was issued for another org, call, tool or other argument values; ask the caller again',
  TOKEN_ALREADY_USED: 'the confirmation token was already used; each confirmation allows one invocation',
  CONFIRMATION_STORE_UNAVAILABLE:
    'the confirmation store (Redis) did not answer, so single use cannot be checked; refused to avoid a replay',
};

/** A block for `reason`: its outcome and sentence come from the reason catalogue. */
function block(reason: Reason, detail: string, audit: GateDecision, confirmation?: ConfirmationRequest): GateBlock {
  const entry = reasonEntry(reason);
  const agentMessage = confirmation?.prompt ?? entry.agent;
  const base = { kind: 'block', outcome: Outcome[entry.outcome], reason, agentMessage, detail, speech: SILENT, audit } as const;
  return confirmation ? { ...base, confirmation } : base;
}

// Nothing runs on a block, so there is nothing to fill while waiting: the runtime speaks the
// agent message or the confirmation prompt instead.
const SILENT: SpeechGuidance = Object.freeze({
  mode: SpeechMode.SPEECH_MODE_SILENT,
  startPhrase: '',
  delayPhrase: '',
  delayAfterMs: 0,
});

interface CompiledPhrases {
  readonly start: TextTemplate;
  readonly delay: TextTemplate;
  readonly delayAfterMs: number;
  /** Undefined when the definition has none and the default sentence is used. */
  readonly confirmation: TextTemplate | undefined;
  readonly defaultConfirmation: string;
}

type Level = 'ambient' | 'conversational' | 'requested' | 'confirmed' | 'verified';

function levelOf(level: BurdenLevel | undefined): Level | undefined {
  switch (level) {
    case undefined:
    case BurdenLevel.BURDEN_LEVEL_UNSPECIFIED:
    case BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL:
      return 'conversational';
    case BurdenLevel.BURDEN_LEVEL_AMBIENT:
      return 'ambient';
    case BurdenLevel.BURDEN_LEVEL_REQUESTED:
      return 'requested';
    case BurdenLevel.BURDEN_LEVEL_CONFIRMED:
      return 'confirmed';
    case BurdenLevel.BURDEN_LEVEL_VERIFIED:
      return 'verified';
    default:
      return undefined;
  }
}

function auditOf(level: BurdenLevel, decision: GateDecisionName, reason: string): GateDecision {
  return {
    level,
    decision,
    reason,
    callerUtterance: '',
    callerTurnRef: '',
    verificationMethod: '',
    verificationReference: '',
  };
}

/**
 * The policy gate: decides from the integration's burden level and the runtime's call context
 * whether an invocation may run. It is enforced here rather than only described to the model,
 * because a confused or manipulated model can call any tool it sees.
 */
export class BurdenGate {
  private readonly tokens: ConfirmationTokens;
  // Definitions are immutable once loaded, so their templates are compiled once, not per call.
  private readonly compiled = new WeakMap<Integration, CompiledPhrases>();

  constructor(options: BurdenGateOptions) {
    this.tokens = options.tokens;
  }

  async evaluate(input: GateInput): Promise<GateResult> {
    return this.decide(input);
  }

  /**
   * evaluate for the invoke path: answers synchronously unless the decision needs Redis (a
   * confirmation token), so most calls pay for no promise and no extra microtask turn here. A bad
   * definition throws instead of rejecting.
   */
  decide(input: GateInput): GateResult | Promise<GateResult> {
    const { integration } = input;
    const rawLevel = integration.burden?.level ?? BurdenLevel.BURDEN_LEVEL_UNSPECIFIED;
    const level = levelOf(rawLevel);
    if (level === undefined) return this.unknownLevel(rawLevel, input.test);

    const phrases = this.phrasesFor(integration);

    if (input.test) {
      const audit = auditOf(rawLevel, 'BYPASSED_FOR_TEST', '');
      this.recordContext(audit, level, input.context);
      const requirement = this.requirement(level, integration, phrases, input.args);
      return { kind: 'allow', speech: this.speech(level, phrases, input.args), audit, requirement };
    }

    switch (level) {
      case 'ambient':
      case 'conversational':
        return {
          kind: 'allow',
          speech: this.speech(level, phrases, input.args),
          audit: auditOf(rawLevel, 'ALLOWED', ''),
          requirement: 'none',
        };
      case 'requested':
        return this.requested(rawLevel, input, phrases);
      case 'verified':
        return this.verified(rawLevel, input, phrases);
      case 'confirmed':
        return this.confirmed(rawLevel, input, phrases);
    }
  }

  private requested(rawLevel: BurdenLevel, input: GateInput, phrases: CompiledPhrases): GateResult {
    const { context } = input;
    if (context?.callerRequest?.asked === true) {
      const audit = auditOf(rawLevel, 'ALLOWED', '');
      this.recordContext(audit, 'requested', context);
      const requirement = this.requirement('requested', input.integration, phrases, input.args);
      return { kind: 'allow', speech: this.speech('requested', phrases, input.args), audit, requirement };
    }
    const audit = auditOf(rawLevel, 'BLOCKED', 'CALLER_REQUEST_REQUIRED');
    this.recordContext(audit, 'requested', context);
    return block('CALLER_REQUEST_REQUIRED', 'this tool runs only when the caller asks for it; the call context has no caller request with asked=true', audit);
  }

  private verified(rawLevel: BurdenLevel, input: GateInput, phrases: CompiledPhrases): GateResult {
    const { context, integration } = input;
    const accepted = integration.burden?.acceptedVerificationMethods ?? [];
    // A verification an integration made (call state) is the server's own evidence: it comes first.
    const byState = input.stateVerifiedLevels?.find((level) => accepted.length === 0 || accepted.includes(level));
    if (byState !== undefined) {
      const audit = auditOf(rawLevel, 'ALLOWED', '');
      audit.verificationMethod = `state:${byState}`;
      return { kind: 'allow', speech: this.speech('verified', phrases, input.args), audit, requirement: this.requirement('verified', integration, phrases, input.args) };
    }
    const runtimeAccepted = input.acceptsRuntimeVerification !== false;
    const method = runtimeAccepted ? (context?.verification?.method.trim() ?? '') : '';
    let reason: Reason | undefined;
    let detail = '';
    if (!runtimeAccepted) {
      reason = 'VERIFICATION_REQUIRED';
      detail = "this tool runs only for a caller verified by a verifier integration in this call; this org does not accept the runtime's own verification (RUNTIME_VERIFICATION_ORGS)";
    } else if (method === '') {
      reason = 'VERIFICATION_REQUIRED';
      detail = 'this tool runs only for a verified caller; the call context has no verification method';
    } else if (accepted.length > 0 && !accepted.includes(method)) {
      reason = 'VERIFICATION_METHOD_NOT_ACCEPTED';
      detail = `verification method "${method}" is not accepted by this tool; accepted: ${accepted.join(', ')}`;
    }
    const audit = auditOf(rawLevel, reason === undefined ? 'ALLOWED' : 'BLOCKED', reason ?? '');
    this.recordContext(audit, 'verified', context);
    if (reason === undefined) {
      const requirement = this.requirement('verified', integration, phrases, input.args);
      return { kind: 'allow', speech: this.speech('verified', phrases, input.args), audit, requirement };
    }
    return block(reason, detail, audit);
  }

  /** Issuing a token is answered at once; only redeeming one waits for Redis. */
  private confirmed(rawLevel: BurdenLevel, input: GateInput, phrases: CompiledPhrases): GateResult | Promise<GateResult> {
    if (input.callId === '') {
      return block(
        'CALL_ID_REQUIRED',
        'a confirmed tool needs the call id: its confirmation is bound to the call, and this call is not bound yet',
        auditOf(rawLevel, 'BLOCKED', 'CALL_ID_REQUIRED'),
      );
    }
    const binding = {
      orgId: input.orgId,
      callId: input.callId,
      toolKey: input.integration.key,
      args: input.args,
    };
    const token = input.context?.confirmationToken ?? '';
    if (token === '') {
      const prompt = this.confirmationPrompt(phrases, input.args);
      const issued = this.tokens.issue(binding);
      return block(
        'CONFIRMATION_REQUIRED',
        'read the prompt to the caller; if they agree, invoke again with the same arguments and the token',
        auditOf(rawLevel, 'CONFIRMATION_ISSUED', 'CONFIRMATION_REQUIRED'),
        { token: issued.token, prompt, expiresAtUnixMs: issued.expiresAtUnixMs },
      );
    }
    return this.redeem(rawLevel, input, phrases, { ...binding, token });
  }

  private async redeem(rawLevel: BurdenLevel, input: GateInput, phrases: CompiledPhrases, presented: ConfirmationBinding & { readonly token: string }): Promise<GateResult> {
    const redeemed = await this.tokens.redeem(presented);
    if (redeemed.ok) {
      return {
        kind: 'allow',
        speech: this.speech('confirmed', phrases, input.args),
        audit: auditOf(rawLevel, 'CONFIRMED', ''),
        requirement: this.requirement('confirmed', input.integration, phrases, input.args),
      };
    }
    return block(redeemed.reason, TOKEN_DETAILS[redeemed.reason], auditOf(rawLevel, 'BLOCKED', redeemed.reason));
  }

  private unknownLevel(rawLevel: BurdenLevel, test: boolean): GateResult {
    // A level this executor does not know (a newer definition, a corrupt record) must not
    // quietly fall back to "no gate": refuse it on a live call.
    const detail = `burden level ${rawLevel} is not known to this executor`;
    if (test) {
      return {
        kind: 'allow',
        speech: SILENT,
        audit: auditOf(rawLevel, 'BYPASSED_FOR_TEST', 'UNKNOWN_BURDEN_LEVEL'),
        requirement: `${detail}; a live call would be refused`,
      };
    }
    return block('UNKNOWN_BURDEN_LEVEL', detail, auditOf(rawLevel, 'BLOCKED', 'UNKNOWN_BURDEN_LEVEL'));
  }

  /**
   * Only the context a level decides on goes into the audit: an utterance or a verification
   * reference is personal data, kept where it is the evidence for a decision and nowhere else.
   */
  private recordContext(audit: GateDecision, level: Level, context: CallContext | undefined): void {
    if (level === 'requested' && context?.callerRequest !== undefined) {
      audit.callerUtterance = context.callerRequest.utterance;
      audit.callerTurnRef = context.callerRequest.turnRef;
    }
    if (level === 'verified' && context?.verification !== undefined) {
      audit.verificationMethod = context.verification.method;
      audit.verificationReference = context.verification.reference;
    }
  }

  private requirement(level: Level, integration: Integration, phrases: CompiledPhrases, args: unknown): string {
    switch (level) {
      case 'ambient':
      case 'conversational':
        return 'none';
      case 'requested':
        return 'caller must ask for it';
      case 'confirmed':
        return `caller must confirm: ${this.confirmationPrompt(phrases, args)}`;
      case 'verified': {
        const accepted = integration.burden?.acceptedVerificationMethods ?? [];
        return accepted.length > 0
          ? `caller must be verified by one of: ${accepted.join(', ')}`
          : 'caller must be verified (any method)';
      }
    }
  }

  private speech(level: Level, phrases: CompiledPhrases, args: unknown): SpeechGuidance {
    if (level === 'ambient') return SILENT;
    return {
      mode: SpeechMode.SPEECH_MODE_FILLER,
      startPhrase: renderTextTemplate(phrases.start, args),
      delayPhrase: renderTextTemplate(phrases.delay, args),
      delayAfterMs: phrases.delayAfterMs,
    };
  }

  private confirmationPrompt(phrases: CompiledPhrases, args: unknown): string {
    return phrases.confirmation === undefined
      ? phrases.defaultConfirmation
      : renderTextTemplate(phrases.confirmation, args);
  }

  /** Throws INVALID_TEXT_TEMPLATE for a template the registry should have refused on save. */
  private phrasesFor(integration: Integration): CompiledPhrases {
    const cached = this.compiled.get(integration);
    if (cached !== undefined) return cached;
    // Everything below reads only these: a definition decoded again, or another with the same texts, shares them.
    const text = JSON.stringify([integration.speech ?? null, integration.burden?.fillerPhrase ?? '', integration.burden?.confirmationPrompt ?? '', integration.name]);
    const phrases = sharedPhrases.get(text, () => compilePhrases(integration));
    this.compiled.set(integration, phrases);
    return phrases;
  }
}

/** Compiled phrases by their texts (SharedByText): frozen, as every definition with those texts gets the same object. */
const sharedPhrases = new SharedByText<CompiledPhrases>(4_096);

function compilePhrases(integration: Integration): CompiledPhrases {
  // The same effective phrases the registry documents and ListTools describes.
  const speech = speechOf({ ...integration, burden: integration.burden && { ...integration.burden, level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL } });
  const prompt = integration.burden?.confirmationPrompt ?? '';
  const phrases: CompiledPhrases = {
    start: compileTextTemplate(speech.startPhrase),
    delay: compileTextTemplate(speech.delayPhrase),
    delayAfterMs: speech.delayAfterMs,
    confirmation: prompt.trim() === '' ? undefined : compileTextTemplate(prompt),
    defaultConfirmation: confirmationPromptSource(integration),
  };
  return Object.freeze(phrases);
}
