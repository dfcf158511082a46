import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BurdenLevel,
  CallContext,
  Integration,
  Outcome,
  SpeechMode,
  type BurdenPolicy,
  type CallerRequest,
  type Speech,
  type Verification,
} from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { BurdenGate, type GateBlock, type GateInput, type GateResult } from './burden-gate.js';
import { ConfirmationTokens } from './confirmation-tokens.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `sb-test:burden-gate:${randomUUID()}:`;
const SECRET = randomBytes(32);

let redis: Redis;
let gate: BurdenGate;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  gate = new BurdenGate({ tokens: new ConfirmationTokens({ redis, secret: SECRET, keyPrefix: PREFIX }) });
});

afterAll(async () => {
  // Only this file's keys: the shared Redis is never flushed.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
});

function integration(burden: Partial<BurdenPolicy> | undefined, speech?: Partial<Speech>): Integration {
  return Integration.fromPartial({
    key: 'book_cleaning',
    name: 'Book Cleaning',
    description: 'Books a dental cleaning.',
    enabled: true,
    urlTemplate: 'https://pms.example.com/appointments',
    ...(burden === undefined ? {} : { burden }),
    ...(speech === undefined ? {} : { speech }),
  });
}

interface ContextParts {
  readonly callerRequest?: Partial<CallerRequest>;
  readonly verification?: Partial<Verification>;
  readonly confirmationToken?: string;
}

function context(parts: ContextParts = {}): CallContext {
  return CallContext.fromPartial(parts);
}

const ARGS = { date: '2025-03-03', time: '14:00' };
const CALL_ID = randomUUID();

function input(overrides: Partial<GateInput> & Pick<GateInput, 'integration'>): GateInput {
  return { orgId: 'org-1', callId: CALL_ID, context: undefined, args: ARGS, test: false, ...overrides };
}

function blocked(result: GateResult): GateBlock {
  if (result.kind !== 'block') throw new Error(`expected a block, got ${JSON.stringify(result)}`);
  return result;
}

const CONFIRMED = integration({
  level: BurdenLevel.BURDEN_LEVEL_CONFIRMED,
  confirmationPrompt: 'Shall I book a cleaning on {{ date }} at {{ time }}?',
});

describe('BurdenGate: ambient and conversational', () => {
  it('lets an ambient tool run and tells the runtime to say nothing about it', async () => {
    const result = await gate.evaluate(
      input({ integration: integration({ level: BurdenLevel.BURDEN_LEVEL_AMBIENT, fillerPhrase: 'Checking.' }) }),
    );
    expect(result).toEqual({
      kind: 'allow',
      speech: { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 },
      audit: expect.objectContaining({ level: BurdenLevel.BURDEN_LEVEL_AMBIENT, decision: 'ALLOWED', reason: '' }) as unknown,
      requirement: 'none',
    });
  });

  it('treats an unset level as conversational, with the default filler', async () => {
    for (const burden of [undefined, { level: BurdenLevel.BURDEN_LEVEL_UNSPECIFIED }]) {
      const result = await gate.evaluate(input({ integration: integration(burden) }));
      expect(result.kind).toBe('allow');
      expect(result.speech).toEqual({
        mode: SpeechMode.SPEECH_MODE_FILLER,
        startPhrase: 'Let me check that for you.',
        delayPhrase: 'Still checking, thanks for your patience.',
        delayAfterMs: 1500,
      });
      expect(result.audit.decision).toBe('ALLOWED');
    }
  });

  it("renders the definition's filler phrase with the arguments, ahead of the speech start phrase", async () => {
    const result = await gate.evaluate(
      input({
        integration: integration(
          { level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, fillerPhrase: 'Let me look at {{ date }} for you.' },
          { startPhrase: 'One moment.', delayPhrase: 'Still looking at {{ time }}.', delayAfterMs: 2500 },
        ),
      }),
    );
    expect(result.speech).toEqual({
      mode: SpeechMode.SPEECH_MODE_FILLER,
      startPhrase: 'Let me look at 2025-03-03 for you.',
      delayPhrase: 'Still looking at 14:00.',
      delayAfterMs: 2500,
    });
  });

  it('falls back to the speech start phrase when there is no filler phrase', async () => {
    const result = await gate.evaluate(
      input({ integration: integration({ level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL }, { startPhrase: 'One moment.' }) }),
    );
    expect(result.speech.startPhrase).toBe('One moment.');
  });

  it('refuses a definition whose phrase is not a valid template', async () => {
    const bad = integration({ level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, fillerPhrase: 'Checking {{ date' });
    await expect(gate.evaluate(input({ integration: bad }))).rejects.toBeInstanceOf(SwitchboardError);
  });
});

describe('BurdenGate: requested', () => {
  const requested = integration({ level: BurdenLevel.BURDEN_LEVEL_REQUESTED });

  it('blocks when the runtime does not state that the caller asked', async () => {
    for (const ctx of [undefined, context(), context({ callerRequest: { asked: false, utterance: 'hmm' } })]) {
      const result = blocked(await gate.evaluate(input({ integration: requested, context: ctx })));
      expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
      expect(result.reason).toBe('CALLER_REQUEST_REQUIRED');
      expect(result.agentMessage).toBe("I can do that if you'd like; just say the word.");
      expect(result.audit).toMatchObject({ decision: 'BLOCKED', reason: 'CALLER_REQUEST_REQUIRED' });
    }
  });

  it("allows it when the caller asked, recording the caller's words and turn in the audit", async () => {
    const result = await gate.evaluate(
      input({
        integration: requested,
        context: context({ callerRequest: { asked: true, utterance: 'Can you book me in?', turnRef: 'turn-7' } }),
      }),
    );
    expect(result.kind).toBe('allow');
    expect(result.speech.mode).toBe(SpeechMode.SPEECH_MODE_FILLER);
    expect(result.audit).toEqual({
      level: BurdenLevel.BURDEN_LEVEL_REQUESTED,
      decision: 'ALLOWED',
      reason: '',
      callerUtterance: 'Can you book me in?',
      callerTurnRef: 'turn-7',
      verificationMethod: '',
      verificationReference: '',
    });
  });
});

describe('BurdenGate: confirmed', () => {
  it('asks first, with the prompt rendered from the actual arguments, then runs once on the token', async () => {
    const first = blocked(await gate.evaluate(input({ integration: CONFIRMED })));
    expect(first.outcome).toBe(Outcome.OUTCOME_CONFIRMATION_REQUIRED);
    expect(first.reason).toBe('CONFIRMATION_REQUIRED');
    expect(first.agentMessage).toBe('Shall I book a cleaning on 2025-03-03 at 14:00?');
    expect(first.confirmation?.prompt).toBe('Shall I book a cleaning on 2025-03-03 at 14:00?');
    expect(first.confirmation?.expiresAtUnixMs).toBeGreaterThan(Date.now());
    expect(first.audit).toMatchObject({ decision: 'CONFIRMATION_ISSUED', level: BurdenLevel.BURDEN_LEVEL_CONFIRMED });

    const token = first.confirmation?.token ?? '';
    const second = await gate.evaluate(input({ integration: CONFIRMED, context: context({ confirmationToken: token }) }));
    expect(second.kind).toBe('allow');
    expect(second.audit.decision).toBe('CONFIRMED');
    expect(second.speech.mode).toBe(SpeechMode.SPEECH_MODE_FILLER);

    const replay = blocked(
      await gate.evaluate(input({ integration: CONFIRMED, context: context({ confirmationToken: token }) })),
    );
    expect(replay.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(replay.reason).toBe('TOKEN_ALREADY_USED');
    expect(replay.audit).toMatchObject({ decision: 'BLOCKED', reason: 'TOKEN_ALREADY_USED' });
  });

  it('refuses the token when an argument changed after the caller said yes', async () => {
    const first = blocked(await gate.evaluate(input({ integration: CONFIRMED })));
    const result = blocked(
      await gate.evaluate(
        input({
          integration: CONFIRMED,
          args: { ...ARGS, time: '16:00' },
          context: context({ confirmationToken: first.confirmation?.token ?? '' }),
        }),
      ),
    );
    expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(result.reason).toBe('TOKEN_MISMATCH');
    expect(result.agentMessage).toBe('Let me confirm that again.');
    expect(result.confirmation).toBeUndefined();
  });

  it('refuses a token from another call', async () => {
    const first = blocked(await gate.evaluate(input({ integration: CONFIRMED })));
    const result = blocked(
      await gate.evaluate(
        input({
          integration: CONFIRMED,
          callId: randomUUID(),
          context: context({ confirmationToken: first.confirmation?.token ?? '' }),
        }),
      ),
    );
    expect(result.reason).toBe('TOKEN_MISMATCH');
  });

  it('refuses an expired token with a sentence the agent can say', async () => {
    let now = Date.now();
    const clocked = new BurdenGate({
      tokens: new ConfirmationTokens({ redis, secret: SECRET, keyPrefix: PREFIX, ttlMs: 60_000, now: () => now }),
    });
    const first = blocked(await clocked.evaluate(input({ integration: CONFIRMED })));
    now += 60_001;
    const result = blocked(
      await clocked.evaluate(
        input({ integration: CONFIRMED, context: context({ confirmationToken: first.confirmation?.token ?? '' }) }),
      ),
    );
    expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(result.reason).toBe('TOKEN_EXPIRED');
    expect(result.agentMessage).toBe('Let me confirm that again.');
  });

  it('refuses a garbled token', async () => {
    const result = blocked(
      await gate.evaluate(input({ integration: CONFIRMED, context: context({ confirmationToken: 'yes please' }) })),
    );
    expect(result.reason).toBe('TOKEN_INVALID');
  });

  it('needs a bound call id, with or without a token', async () => {
    const first = blocked(await gate.evaluate(input({ integration: CONFIRMED })));
    for (const ctx of [undefined, context({ confirmationToken: first.confirmation?.token ?? '' })]) {
      const result = blocked(await gate.evaluate(input({ integration: CONFIRMED, callId: '', context: ctx })));
      expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
      expect(result.reason).toBe('CALL_ID_REQUIRED');
      expect(result.confirmation).toBeUndefined();
    }
  });

  it('asks "Shall I go ahead and <name>?" when the definition has no prompt', async () => {
    const result = blocked(
      await gate.evaluate(input({ integration: integration({ level: BurdenLevel.BURDEN_LEVEL_CONFIRMED }) })),
    );
    expect(result.confirmation?.prompt).toBe('Shall I go ahead and book cleaning?');
  });

  it('phrases are shared by text, yet each definition gets its own: another name, another default prompt', async () => {
    const named = (name: string, filler = '', level = BurdenLevel.BURDEN_LEVEL_CONFIRMED) => Integration.fromPartial({ ...integration({ level, fillerPhrase: filler }), name });
    const cleaning = blocked(await gate.evaluate(input({ integration: named('Book Cleaning') })));
    const again = blocked(await gate.evaluate(input({ integration: named('Book Cleaning') })));
    const checkup = blocked(await gate.evaluate(input({ integration: named('Book Checkup') })));
    expect(cleaning.confirmation?.prompt).toBe('Shall I go ahead and book cleaning?');
    expect(again.confirmation?.prompt, 'the same texts decoded again').toBe('Shall I go ahead and book cleaning?');
    expect(checkup.confirmation?.prompt).toBe('Shall I go ahead and book checkup?');
    const conversational = BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL;
    const plain = await gate.evaluate(input({ integration: named('Look up', 'One moment.', conversational) }));
    const other = await gate.evaluate(input({ integration: named('Look up', 'Checking {{ date }} now.', conversational), args: { date: 'Friday' } }));
    expect([plain.speech.startPhrase, other.speech.startPhrase]).toEqual(['One moment.', 'Checking Friday now.']);
  });

  it('fails closed when Redis is unavailable', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const down = new Redis({ port, host: '127.0.0.1' });
    down.on('error', () => undefined);
    try {
      const tokens = new ConfirmationTokens({ redis: down, secret: SECRET, keyPrefix: PREFIX, redisTimeoutMs: 200 });
      const downGate = new BurdenGate({ tokens });
      // Issuing needs no store; spending does.
      const first = blocked(await downGate.evaluate(input({ integration: CONFIRMED })));
      const result = blocked(
        await downGate.evaluate(
          input({ integration: CONFIRMED, context: context({ confirmationToken: first.confirmation?.token ?? '' }) }),
        ),
      );
      expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
      expect(result.reason).toBe('CONFIRMATION_STORE_UNAVAILABLE');
      expect(result.agentMessage).not.toBe('');
    } finally {
      down.disconnect();
    }
  });
});

describe('BurdenGate: verified', () => {
  const verified = integration({
    level: BurdenLevel.BURDEN_LEVEL_VERIFIED,
    acceptedVerificationMethods: ['dob_phone_match', 'otp'],
  });

  it('blocks a caller who is not verified', async () => {
    for (const ctx of [undefined, context(), context({ verification: { method: '  ', reference: 'v-1' } })]) {
      const result = blocked(await gate.evaluate(input({ integration: verified, context: ctx })));
      expect(result.outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
      expect(result.reason).toBe('VERIFICATION_REQUIRED');
      expect(result.audit).toMatchObject({ decision: 'BLOCKED', reason: 'VERIFICATION_REQUIRED' });
    }
  });

  it('blocks a verification method the integration does not accept, naming the accepted ones', async () => {
    const result = blocked(
      await gate.evaluate(
        input({ integration: verified, context: context({ verification: { method: 'voiceprint', reference: 'vp-9' } }) }),
      ),
    );
    expect(result.outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    expect(result.reason).toBe('VERIFICATION_METHOD_NOT_ACCEPTED');
    expect(result.detail).toContain('dob_phone_match, otp');
    expect(result.audit).toMatchObject({ verificationMethod: 'voiceprint', verificationReference: 'vp-9' });
  });

  it('allows an accepted method, recording it and its reference in the audit', async () => {
    const result = await gate.evaluate(
      input({ integration: verified, context: context({ verification: { method: 'otp', reference: 'otp-123' } }) }),
    );
    expect(result.kind).toBe('allow');
    expect(result.audit).toMatchObject({
      level: BurdenLevel.BURDEN_LEVEL_VERIFIED,
      decision: 'ALLOWED',
      verificationMethod: 'otp',
      verificationReference: 'otp-123',
    });
  });

  it('allows a call a verifier integration verified at an accepted level, with no runtime assertion', async () => {
    const result = await gate.evaluate(input({ integration: verified, stateVerifiedLevels: ['otp'] }));
    expect(result.kind).toBe('allow');
    expect(result.audit).toMatchObject({ decision: 'ALLOWED', verificationMethod: 'state:otp' });
    const other = blocked(await gate.evaluate(input({ integration: verified, stateVerifiedLevels: ['voiceprint'] })));
    expect(other.reason).toBe('VERIFICATION_REQUIRED');
  });

  it("refuses the runtime's own assertion for an org that does not accept it", async () => {
    const asserted = context({ verification: { method: 'otp', reference: 'otp-1' } });
    const result = blocked(await gate.evaluate(input({ integration: verified, context: asserted, acceptsRuntimeVerification: false })));
    expect(result.reason).toBe('VERIFICATION_REQUIRED');
    expect(result.detail).toContain('RUNTIME_VERIFICATION_ORGS');
    expect((await gate.evaluate(input({ integration: verified, context: asserted, acceptsRuntimeVerification: true }))).kind).toBe('allow');
  });

  it('accepts any method when the integration names none', async () => {
    const anyMethod = integration({ level: BurdenLevel.BURDEN_LEVEL_VERIFIED });
    const result = await gate.evaluate(
      input({ integration: anyMethod, context: context({ verification: { method: 'voiceprint', reference: 'vp-1' } }) }),
    );
    expect(result.kind).toBe('allow');
  });
});

describe('BurdenGate: Test bypasses the gate but reports what a live call needs', () => {
  const cases: [string, Integration, string][] = [
    ['ambient', integration({ level: BurdenLevel.BURDEN_LEVEL_AMBIENT }), 'none'],
    ['conversational', integration({ level: BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL }), 'none'],
    ['requested', integration({ level: BurdenLevel.BURDEN_LEVEL_REQUESTED }), 'caller must ask for it'],
    ['confirmed', CONFIRMED, 'caller must confirm: Shall I book a cleaning on 2025-03-03 at 14:00?'],
    [
      'verified',
      integration({ level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['otp', 'dob_phone_match'] }),
      'caller must be verified by one of: otp, dob_phone_match',
    ],
  ];
  for (const [name, subject, requirement] of cases) {
    it(name, async () => {
      // No call id, no context: a live call would be refused for the gated levels.
      const result = await gate.evaluate(input({ integration: subject, callId: '', test: true }));
      expect(result.kind).toBe('allow');
      if (result.kind !== 'allow') return;
      expect(result.requirement).toBe(requirement);
      expect(result.audit.decision).toBe('BYPASSED_FOR_TEST');
      expect(result.audit.level).toBe(subject.burden?.level);
    });
  }
});

describe('BurdenGate: unknown level', () => {
  it('refuses a level it does not know rather than running it ungated', async () => {
    const odd = integration({ level: 42 as BurdenLevel });
    const result = blocked(await gate.evaluate(input({ integration: odd })));
    expect(result.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(result.reason).toBe('UNKNOWN_BURDEN_LEVEL');
  });
});
