import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateCommand } from '../../packages/cli/src/simulate/index.js';
import { NATS_URL, ROOT, startStack, type Stack } from '../support/stack.js';
import type { Upstream } from '../support/upstream.js';
import { registerExamples, SECRETS, SLOW_MS, SLOW_PATIENT, startStandInApis } from './stand-in-apis.js';

const EXAMPLES = path.join(ROOT, 'examples', 'simulations');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');

interface Report {
  callId: string;
  tools: string[];
  failed: number;
  checked: number;
  turns: {
    index: number;
    action: string;
    outcome?: string;
    reason?: string;
    httpStatus?: number;
    elapsedMs?: number;
    delayAfterMs?: number;
    spoken: { when: string; text: string }[];
    toolResult?: { role?: string; tool_call_id?: string; type?: string; tool_use_id?: string; content: string; is_error?: boolean };
    audit: { events: { gate: string; upstreamRequests: number; request?: { method: string; url: string; headers: { name: string; value: string }[]; body: string } }[]; missing: string[]; unavailable: string };
    upstreamRequests?: number;
    expectations: { ok: boolean; expected: string; actual: string }[];
  }[];
}

/**
 * `switchboard simulate` end to end: the example rehearsals run through the runtime client against the
 * real registry, executor and audit stream, with loopback stand-ins for the APIs the example definitions
 * call. What the agent says, what reaches the APIs and what the audit trail holds are checked against the
 * stand-ins' own records.
 */
describe('switchboard simulate against the running system', () => {
  let apis: Upstream;
  let stack: Stack;
  let tmp: string;

  const globals = () => ({ org: stack.orgId, registry: `127.0.0.1:${stack.registry.port}`, executor: `127.0.0.1:${stack.executor.port}` });
  const auditFlags = () => ({ natsUrl: NATS_URL, streamName: stack.env['AUDIT_STREAM'], subjectPrefix: stack.env['AUDIT_SUBJECT_PREFIX'] });
  const hits = (prefix: string) => apis.requests.filter((r) => r.url.startsWith(prefix)).length;

  /** Runs simulateCommand in this process, returning what it printed and the exit code it set. */
  async function simulate(file: string, extra: { json?: boolean; audit?: boolean } = {}): Promise<{ output: string; exitCode: number }> {
    const lines: string[] = [];
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await simulateCommand(globals(), file, { ...auditFlags(), ...extra }, (s) => lines.push(s));
      return { output: lines.join('\n'), exitCode: Number(process.exitCode ?? 0) };
    } finally {
      process.exitCode = before;
    }
  }

  async function report(file: string): Promise<{ report: Report; exitCode: number }> {
    const { output, exitCode } = await simulate(file, { json: true });
    return { report: JSON.parse(output) as Report, exitCode };
  }

  /** The report of a script whose tools were just saved: retried until the executor knows them. */
  async function waitForCallState(file: string): Promise<{ report: Report; exitCode: number }> {
    for (let attempt = 0; ; attempt++) {
      const result = await report(file);
      if (!result.report.turns.some((t) => t.outcome === 'NOT_FOUND') || attempt > 50) return result;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function script(name: string, yaml: string): string {
    const file = path.join(tmp, name);
    writeFileSync(file, yaml);
    return file;
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'sb-simulate-'));
    apis = await startStandInApis();
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    await registerExamples(stack, apis);
  });

  afterAll(async () => {
    await stack?.stop();
    await apis?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs every example script with all its expectations met, and no secret in what it prints', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toHaveLength(7);
    for (const f of files) {
      const { output, exitCode } = await simulate(path.join(EXAMPLES, f));
      expect(output, f).toMatch(/expectations?: all met$/);
      expect(output, f).not.toContain('✗');
      expect(exitCode, `${f}\n${output}`).toBe(0);
      for (const secret of Object.values(SECRETS)) expect(output, f).not.toContain(secret);
    }
  });

  it('confirmed booking: the prompt, nothing sent; the yes, exactly one booking with the confirmed arguments', async () => {
    const before = hits('/booking/');
    const { report: r, exitCode } = await report(path.join(EXAMPLES, 'dental-booking.yaml'));
    expect(exitCode).toBe(0);
    const [ask, yes] = r.turns;
    expect(ask!.outcome).toBe('CONFIRMATION_REQUIRED');
    expect(ask!.spoken).toEqual([{ when: 'after', text: 'Shall I book a cleaning for Ada on 2025-03-03 at 14:00?' }]);
    expect(JSON.parse(ask!.toolResult!.content)).toMatchObject({ outcome: 'confirmation_required', done: false, ask_caller: 'Shall I book a cleaning for Ada on 2025-03-03 at 14:00?' });
    expect(ask!.audit.events).toMatchObject([{ gate: 'CONFIRMATION_ISSUED', upstreamRequests: 0 }]);

    expect(yes!).toMatchObject({ action: 'confirm', outcome: 'SUCCESS', httpStatus: 201, upstreamRequests: 1 });
    expect(yes!.spoken.map((l) => l.text)).toEqual(['Booking that for you now.', "You're booked for 2025-03-03 14:00. Your reference is B-0042."]);
    // The model's second call (new id, same arguments) is the one the booking answers.
    expect(ask!.toolResult).toMatchObject({ role: 'tool', tool_call_id: 'call_sim_0001' });
    expect(yes!.toolResult).toMatchObject({ role: 'tool', tool_call_id: 'call_sim_0002' });
    expect(yes!.audit.events[0]!.gate).toBe('CONFIRMED');
    // The request as the executor recorded it: the clinic key redacted, the sensitive last name hidden.
    const recorded = yes!.audit.events[0]!.request!;
    expect(recorded.method).toBe('POST');
    expect(recorded.headers.find((h) => h.name.toLowerCase() === 'x-clinic-key')?.value).toBe('[REDACTED]');
    expect(recorded.body).not.toContain('Lovelace');

    expect(hits('/booking/')).toBe(before + 1);
    const sent = apis.requests.filter((q) => q.url.startsWith('/booking/')).at(-1)!;
    expect(JSON.parse(sent.body)).toMatchObject({
      patient: { first_name: 'Ada', last_name: 'Lovelace', phone: '+15555550123' },
      appointment: { date: '2025-03-03', start_time: '14:00', type: 'cleaning' },
      booking: { channel: 'phone_agent', call_reference: r.callId },
    });
    expect(sent.headers['x-allison-call-id']).toBe(r.callId);
  });

  it('declined confirmation: the caller says no and nothing reaches the booking system', async () => {
    const before = hits('/booking/');
    const { output, exitCode } = await simulate(path.join(EXAMPLES, 'dental-booking-declined.yaml'));
    expect(exitCode).toBe(0);
    expect(output).toContain('agent: Shall I book a whitening for Ada on 2025-03-04 at 09:00?');
    expect(output).toContain('caller says no: the question is dropped and nothing is sent');
    expect(output).toContain('audit: no invocation, nothing sent upstream');
    expect(hits('/booking/')).toBe(before);
  });

  it('verified lookup: refused before verification with nothing sent, answered after it', async () => {
    const before = hits('/ehr/');
    const { report: r, exitCode } = await report(path.join(EXAMPLES, 'ehr-eligibility.yaml'));
    expect(exitCode).toBe(0);
    const [refused, answered] = r.turns;
    expect(refused).toMatchObject({ outcome: 'VERIFICATION_REQUIRED', upstreamRequests: 0 });
    expect(refused!.spoken).toEqual([{ when: 'after', text: "I'll need to verify your identity before I can do that." }]);
    expect(JSON.parse(refused!.toolResult!.content)).toMatchObject({ outcome: 'verification_required', done: false });
    expect(answered).toMatchObject({ outcome: 'SUCCESS', httpStatus: 200, upstreamRequests: 1 });
    expect(answered!.spoken.at(-1)!.text).toBe('Coverage active: true. Plan Delta Dental PPO, copay 0.');
    expect(hits('/ehr/')).toBe(before + 1);
    // The member id is a sensitive path value: redacted in the recorded URL.
    expect(answered!.audit.events[0]!.request!.url).not.toContain('ABC123456');
  });

  it('a slow upstream produces the delay phrase; a quick one does not', async () => {
    const file = script(
      'slow.yaml',
      `
name: The practice system is slow
turns:
  - caller: When is my next appointment?
    tool: appointment_lookup
    args: { patient_id: ${SLOW_PATIENT} }
    expect: { outcome: SUCCESS, says: "Still looking, just a moment." }
  - caller: And for my son, p-1042?
    tool: appointment_lookup
    args: { patient_id: p-1042 }
    expect: { outcome: SUCCESS }
`,
    );
    const { report: r, exitCode } = await report(file);
    expect(exitCode).toBe(0);
    const [slow, quick] = r.turns;
    expect(slow!.elapsedMs).toBeGreaterThanOrEqual(SLOW_MS - 50);
    expect(slow!.spoken).toEqual([
      { when: 'start', text: 'Let me pull up your appointments.' },
      { when: 'delay', text: 'Still looking, just a moment.' },
      { when: 'after', text: 'Next appointment on 2025-03-03 at 09:30 with Dr. Grace Hopper.' },
    ]);
    // The delay phrase is due only once delay_after_ms (1_200 in the example) passed without an answer. A quick
    // answer normally comes well before that; on a loaded machine it may not, and then the phrase is right.
    expect(quick!.delayAfterMs).toBe(1_200);
    const delayDue = quick!.elapsedMs! >= quick!.delayAfterMs!;
    expect(quick!.spoken.map((l) => l.when), `quick turn took ${quick!.elapsedMs} ms`).toEqual(delayDue ? ['start', 'delay', 'after'] : ['start', 'after']);
  });

  it('call state: a script expects what a lookup exported, and a later tool takes it instead of the model\'s value', async () => {
    // Two copies of the demo lookup: the first exports the appointment's date, the second takes it.
    const base = (await stack.registryClient.get('look_up_appointments')).integration!;
    const exporter = { ...base, key: 'cs_find_day', responseMapping: { ...base.responseMapping!, exports: { visit_day: 'appointments[0].date' }, sensitiveExports: [] } };
    const taker = { ...base, key: 'cs_same_day', parameters: base.parameters.map((p) => (p.name === 'date' ? { ...p, from: 'call.visit_day' } : p)) };
    await stack.registryClient.create(exporter);
    await stack.registryClient.create(taker);
    const file = script(
      'call-state.yaml',
      `
name: A value found in one turn is used in the next
turns:
  - caller: Is there anything on my usual day?
    tool: cs_same_day
    args: { patient_id: p-1001 }
    expect: { outcome: CALL_STATE_MISSING, upstream_requests: 0 }
  - caller: When is my appointment on the 3rd?
    tool: cs_find_day
    args: { patient_id: p-1001, date: "2025-03-03" }
    expect: { outcome: SUCCESS, state: [visit_day] }
  - caller: And who will I see that day?
    tool: cs_same_day
    args: { patient_id: p-1001, date: "1999-01-01" }
    expect: { outcome: SUCCESS, state: [visit_day], upstream_requests: 1 }
`,
    );
    const { report: r, exitCode } = await waitForCallState(file);
    expect(r.turns.flatMap((t) => t.expectations).filter((x) => !x.ok)).toEqual([]);
    expect(exitCode).toBe(0);
    const [missing, found, used] = r.turns;
    expect(JSON.parse(missing!.toolResult!.content)).toMatchObject({ outcome: 'call_state_missing', say: 'I need to look that up first (Look up appointments).' });
    expect(JSON.parse(found!.toolResult!.content)).toMatchObject({ call_state: ['visit_day: set'] });
    expect(used!.audit.events[0]!.request!.url).toContain('date=2025-03-03');
  });

  it('the tool calls go through the Anthropic shapes too', async () => {
    const file = script(
      'anthropic.yaml',
      `
model: anthropic
turns:
  - tool: look_up_appointments
    args: { patient_id: p-1001, date: "2026-12-01" }
    expect: { outcome: SUCCESS, says: "09:30 with Dr. Grace Hopper" }
  - tool: look_up_appointments
    args: { patient_id: p-1001, date: "01/12/2026" }
    expect: { outcome: INVALID_ARGUMENTS }
`,
    );
    const { report: r, exitCode } = await report(file);
    expect(exitCode).toBe(0);
    expect(r.turns[0]!.toolResult).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_sim_0001' });
    expect(r.turns[0]!.toolResult!.is_error).toBeUndefined();
    const invalid = r.turns[1]!.toolResult!;
    expect(invalid).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_sim_0002', is_error: true });
    expect((JSON.parse(invalid.content) as { field_errors: { field: string }[] }).field_errors[0]?.field).toBe('date');
  });

  it('an expectation that fails, or a turn that cannot run, sets exit code 1 and says why', async () => {
    const file = script(
      'wrong.yaml',
      `
turns:
  - tool: look_up_appointments
    args: { patient_id: p-1001, date: "2026-12-01" }
    expect: { outcome: SUCCESS, says: "at 10:45 with Dr. Turing", upstream_requests: 2 }
`,
    );
    const { output, exitCode } = await simulate(file);
    expect(exitCode).toBe(1);
    expect(output).toContain('✓ outcome SUCCESS');
    expect(output).toContain('✗ says "at 10:45 with Dr. Turing": the agent said "Let me pull up your appointments. The next appointment is at 09:30 with Dr. Grace Hopper."');
    expect(output).toContain('✗ 2 upstream request(s): 1 upstream request(s)');
    expect(output).toMatch(/1 turn, 3 expectations: 2 failed$/);

    const noQuestion = script('no-question.yaml', 'turns:\n  - caller: "Yes."\n    confirm: yes\n');
    const second = await simulate(noQuestion);
    expect(second.exitCode).toBe(1);
    expect(second.output).toContain('problem: no confirmation question is waiting');
  });

  it('without the audit stream the rehearsal still runs, and an upstream count it cannot check fails', async () => {
    const { output, exitCode } = await simulate(path.join(EXAMPLES, 'demo-look-up-appointments.yaml'), { audit: false });
    expect(exitCode).toBe(1);
    expect(output).toContain('audit events not read: turned off with --no-audit');
    expect(output).toContain('✓ says "The next appointment is at 09:30 with Dr. Grace Hopper."');
    expect(output).toContain('✗ 1 upstream request(s): unknown: the audit events could not be read');
  });

  // The exit code a CI job sees.
  it('the CLI exits 1 on a failed expectation and 0 on the demo rehearsal', async () => {
    const run = (file: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const g = globals();
        const child = spawn(
          process.execPath,
          [CLI, '--org', g.org, '--registry', g.registry, '--executor', g.executor, 'simulate', file, '--stream-name', stack.env['AUDIT_STREAM']!, '--subject-prefix', stack.env['AUDIT_SUBJECT_PREFIX']!],
          { env: { ...process.env, NATS_URL }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const ok = await run(path.join(EXAMPLES, 'demo-look-up-appointments.yaml'));
    expect(ok.code, ok.out).toBe(0);
    const failing = script('cli-wrong.yaml', 'turns:\n  - tool: look_up_appointments\n    args: { patient_id: p-1001, date: "2026-12-01" }\n    expect: { outcome: TIMEOUT }\n');
    const bad = await run(failing);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toContain('✗ outcome TIMEOUT: outcome SUCCESS (OK)');
  });
});
