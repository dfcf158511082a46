import { parse } from 'yaml';
import { Outcome, UUID_PATTERN } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';

/** The simulator's own outcome for a turn in which the caller declined: nothing was sent. */
export const DECLINED = 'DECLINED';

/** What a script may expect of a turn; each given key is checked. */
export interface TurnExpectation {
  /** An Outcome name without the OUTCOME_ prefix (SUCCESS, CONFIRMATION_REQUIRED, ...) or DECLINED. */
  readonly outcome?: string;
  readonly reason?: string;
  /** A piece of what the agent says in the turn (start and delay phrases included), case-insensitive. */
  readonly says?: string;
  readonly httpStatus?: number;
  /** Requests the executor sent upstream in the turn, from the audit events (retries included). */
  readonly upstreamRequests?: number;
  /** Call-state names set after the turn (exported by this or an earlier turn's integration). */
  readonly state?: readonly string[];
}

export interface ScriptTurn {
  /** The caller's words. */
  readonly caller?: string;
  /** The caller was verified (from this turn on). */
  readonly verify?: { readonly method: string; readonly reference: string };
  /** The tool call the model makes, with its arguments. */
  readonly tool?: string;
  readonly args?: Record<string, unknown>;
  /** The caller explicitly asked for this action (requested level); their words go to the audit. */
  readonly asked: boolean;
  /** The caller's answer to the confirmation question that is waiting. */
  readonly confirm?: boolean;
  readonly expect?: TurnExpectation;
}

export interface SimulationScript {
  readonly name: string;
  /** The model API whose tool-call shape the calls go through. */
  readonly model: 'openai' | 'anthropic';
  readonly callId?: string;
  readonly callerNumber?: string;
  readonly turnBudgetMs: number;
  /** Set: before turn 1 the runtime prefetches the ambient lookups, waiting at most this long. */
  readonly prefetchMs?: number;
  readonly turns: readonly ScriptTurn[];
}

export const DEFAULT_TURN_BUDGET_MS = 10_000;

const OUTCOME_NAMES = new Set(
  Object.keys(Outcome)
    .filter((k) => k.startsWith('OUTCOME_') && k !== 'OUTCOME_UNSPECIFIED')
    .map((k) => k.slice('OUTCOME_'.length)),
);

const TURN_KEYS = new Set(['caller', 'verify', 'tool', 'args', 'asked', 'confirm', 'expect']);
const EXPECT_KEYS = new Set(['outcome', 'reason', 'says', 'http_status', 'upstream_requests', 'state']);
const TOP_KEYS = new Set(['name', 'model', 'call', 'turns']);
const CALL_KEYS = new Set(['call_id', 'caller_number', 'turn_budget_ms', 'prefetch_ms']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "yes"/"no" as YAML 1.2 reads them (strings), and true/false. */
function yesNo(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['yes', 'y', 'true'].includes(s)) return true;
  if (['no', 'n', 'false'].includes(s)) return false;
  return undefined;
}

export function normalizeOutcomeName(name: string): string {
  return name.trim().toUpperCase().replace(/^OUTCOME_/, '');
}

function unknownKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, at: string, problems: FieldProblem[]): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) problems.push({ field: at ? `${at}.${k}` : k, message: 'is not a known field' });
}

function parseExpect(raw: unknown, at: string, problems: FieldProblem[]): TurnExpectation | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    problems.push({ field: at, message: 'must be a map (outcome, says, reason, http_status, upstream_requests, state)' });
    return undefined;
  }
  unknownKeys(raw, EXPECT_KEYS, at, problems);
  const out: { -readonly [K in keyof TurnExpectation]: TurnExpectation[K] } = {};
  if (raw['outcome'] !== undefined) {
    const name = typeof raw['outcome'] === 'string' ? normalizeOutcomeName(raw['outcome']) : '';
    if (name !== DECLINED && !OUTCOME_NAMES.has(name)) {
      problems.push({ field: `${at}.outcome`, message: `must be ${DECLINED} or one of ${[...OUTCOME_NAMES].join(', ')}` });
    } else out.outcome = name;
  }
  for (const [key, prop] of [['reason', 'reason'], ['says', 'says']] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '') problems.push({ field: `${at}.${key}`, message: 'must be a non-empty string' });
    else out[prop] = v;
  }
  for (const [key, prop] of [['http_status', 'httpStatus'], ['upstream_requests', 'upstreamRequests']] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push({ field: `${at}.${key}`, message: 'must be a whole number' });
    else out[prop] = v;
  }
  const state = raw['state'];
  if (state !== undefined) {
    if (!Array.isArray(state) || !state.every((n) => typeof n === 'string' && STATE_NAME.test(n))) {
      problems.push({ field: `${at}.state`, message: 'must be a list of call-state names (as exported, e.g. [patient_id])' });
    } else out.state = state as string[];
  }
  return out;
}

const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function parseTurn(raw: unknown, at: string, problems: FieldProblem[]): ScriptTurn | undefined {
  if (!isObject(raw)) {
    problems.push({ field: at, message: 'must be a map' });
    return undefined;
  }
  unknownKeys(raw, TURN_KEYS, at, problems);
  const caller = raw['caller'];
  if (caller !== undefined && typeof caller !== 'string') problems.push({ field: `${at}.caller`, message: "must be the caller's words" });
  let verify: ScriptTurn['verify'];
  if (raw['verify'] !== undefined) {
    const v = raw['verify'];
    if (typeof v === 'string' && v.trim() !== '') verify = { method: v.trim(), reference: '' };
    else if (isObject(v) && typeof v['method'] === 'string' && v['method'].trim() !== '') {
      verify = { method: v['method'].trim(), reference: typeof v['reference'] === 'string' ? v['reference'] : '' };
    } else problems.push({ field: `${at}.verify`, message: 'must be a method name or { method, reference }' });
  }
  const tool = raw['tool'];
  if (tool !== undefined && (typeof tool !== 'string' || tool === '')) problems.push({ field: `${at}.tool`, message: 'must be a tool key' });
  const args = raw['args'];
  if (args !== undefined && !isObject(args)) problems.push({ field: `${at}.args`, message: 'must be a map of arguments' });
  if (args !== undefined && tool === undefined) problems.push({ field: `${at}.args`, message: 'needs a tool' });
  const asked = raw['asked'] === undefined ? false : yesNo(raw['asked']);
  if (asked === undefined) problems.push({ field: `${at}.asked`, message: 'must be yes or no' });
  const confirm = raw['confirm'] === undefined ? undefined : yesNo(raw['confirm']);
  if (raw['confirm'] !== undefined && confirm === undefined) problems.push({ field: `${at}.confirm`, message: 'must be yes or no' });
  const expect = parseExpect(raw['expect'], `${at}.expect`, problems);
  if (expect && tool === undefined && confirm === undefined) {
    problems.push({ field: `${at}.expect`, message: 'only a turn with a tool call or a confirmation answer has an outcome to expect' });
  }
  return {
    ...(typeof caller === 'string' ? { caller } : {}),
    ...(verify ? { verify } : {}),
    ...(typeof tool === 'string' ? { tool } : {}),
    ...(isObject(args) ? { args } : {}),
    asked: asked ?? false,
    ...(confirm !== undefined ? { confirm } : {}),
    ...(expect ? { expect } : {}),
  };
}

/**
 * Reads a call rehearsal: a YAML map with `turns`, each holding the caller's words and what happens in the
 * turn (a verification, a tool call the model makes, the caller's yes or no to a confirmation) with what
 * to expect. Returns every problem at once, named by its path (`turns[2].expect.outcome`).
 */
export function parseSimulationScript(text: string): { script?: SimulationScript; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { problems: [{ field: '(file)', message: `is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` }] };
  }
  if (!isObject(doc)) return { problems: [{ field: '(file)', message: 'must be a map with turns' }] };
  unknownKeys(doc, TOP_KEYS, '', problems);
  const model = doc['model'] ?? 'openai';
  if (model !== 'openai' && model !== 'anthropic') problems.push({ field: 'model', message: 'must be openai or anthropic' });
  const call = doc['call'] ?? {};
  let callId: string | undefined;
  let callerNumber: string | undefined;
  let turnBudgetMs = DEFAULT_TURN_BUDGET_MS;
  let prefetchMs: number | undefined;
  if (!isObject(call)) problems.push({ field: 'call', message: 'must be a map (call_id, caller_number, turn_budget_ms, prefetch_ms)' });
  else {
    unknownKeys(call, CALL_KEYS, 'call', problems);
    if (call['call_id'] !== undefined) {
      if (typeof call['call_id'] !== 'string' || !UUID_PATTERN.test(call['call_id'])) problems.push({ field: 'call.call_id', message: 'must be a UUID' });
      else callId = call['call_id'];
    }
    if (call['caller_number'] !== undefined) {
      if (typeof call['caller_number'] !== 'string') problems.push({ field: 'call.caller_number', message: 'must be a phone number in quotes, e.g. "+15555550123"' });
      else callerNumber = call['caller_number'];
    }
    if (call['turn_budget_ms'] !== undefined) {
      const b = call['turn_budget_ms'];
      if (typeof b !== 'number' || !(b > 0)) problems.push({ field: 'call.turn_budget_ms', message: 'must be a positive number of milliseconds' });
      else turnBudgetMs = b;
    }
    if (call['prefetch_ms'] !== undefined) {
      const p = call['prefetch_ms'];
      if (typeof p !== 'number' || !(p > 0) || p > 10_000) problems.push({ field: 'call.prefetch_ms', message: 'must be a number of milliseconds from 1 to 10000' });
      else prefetchMs = p;
    }
  }
  const rawTurns = doc['turns'];
  const turns: ScriptTurn[] = [];
  if (!Array.isArray(rawTurns) || rawTurns.length === 0) problems.push({ field: 'turns', message: 'must be a list with at least one turn' });
  else rawTurns.forEach((t, i) => {
    const turn = parseTurn(t, `turns[${i}]`, problems);
    if (turn) turns.push(turn);
  });
  if (problems.length > 0) return { problems };
  return {
    script: {
      name: typeof doc['name'] === 'string' ? doc['name'] : '',
      model: model as SimulationScript['model'],
      ...(callId ? { callId } : {}),
      ...(callerNumber ? { callerNumber } : {}),
      turnBudgetMs,
      ...(prefetchMs !== undefined ? { prefetchMs } : {}),
      turns,
    },
    problems,
  };
}
