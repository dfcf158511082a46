import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParameterLocation as In, ParameterType, type Integration } from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, outcomeName, register, startExecutorStack, type DeepPartial } from './helpers.js';

const MAX_BODY = 4096;
const FAILURE_PHRASE = "Sorry, the booking system isn't answering properly right now.";

/**
 * Slow upstreams against the definition's timeout and the runtime's gRPC deadline, bodies over
 * RESPONSE_MAX_BYTES (declared and streamed), and bodies that are not JSON. Every case ends in an
 * outcome the agent can speak, inside the budget, with gRPC status OK.
 */
describe('deadlines, body limits and body types, end to end', () => {
  let upstream: Upstream;
  let stack: Stack;
  let abandoned = 0;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const path = req.url.split('?')[0];
      switch (path) {
        case '/slow': {
          const t = setTimeout(() => json(res, 200, { late: true }), 3_000);
          res.on('close', () => {
            if (!res.writableEnded) abandoned++;
            clearTimeout(t);
          });
          return;
        }
        case '/slow-body': {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"items":[');
          const t = setTimeout(() => res.end('1]}'), 3_000);
          res.on('close', () => clearTimeout(t));
          return;
        }
        case '/big-declared':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_BODY * 4) });
          res.end(Buffer.alloc(MAX_BODY * 4, 0x20));
          return;
        case '/big-streamed': {
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < 8; i++) res.write(`${' '.repeat(1023)}\n`);
          res.end('{}');
          return;
        }
        case '/exact': {
          const body = JSON.stringify({ pad: 'x'.repeat(MAX_BODY - 10) });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
          return;
        }
        case '/text':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Your balance is €12.50.');
          return;
        case '/bad-json':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('<html><body>Service temporarily unavailable</body></html>');
          return;
        case '/binary':
          res.writeHead(200, { 'content-type': 'application/pdf' });
          res.end(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]));
          return;
        case '/empty':
          res.writeHead(204);
          res.end();
          return;
        case '/long':
          return json(res, 200, { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `Appointment number ${i}` })) });
        case '/err500':
          return json(res, 500, { error: 'database is down', detail: 'x'.repeat(100) });
        case '/moved':
          res.writeHead(302, { location: '/text' });
          res.end();
          return;
        case '/moved-v6':
          // ::1 is loopback too, but only 127.0.0.1/32 is allowed: the hop must be checked again.
          res.writeHead(302, { location: `http://[::1]:${upstream.port}/text` });
          res.end();
          return;
        case '/err404':
          return json(res, 404, { error: 'no such patient' });
        default:
          return json(res, 200, { ok: true });
      }
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: { RESPONSE_MAX_BYTES: String(MAX_BODY) } });
    const api = (key: string, path: string, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        urlTemplate: `${upstream.url}${path}`,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }],
        breaker: { disabled: true },
        ...extra,
      });
    await register(
      stack,
      api('slow_def', '/slow', { timeouts: { totalMs: 300, connectMs: 0 } }),
      api('slow_grpc', '/slow', { timeouts: { totalMs: 5_000, connectMs: 0 } }),
      api('slow_body', '/slow-body', { timeouts: { totalMs: 400, connectMs: 0 } }),
      api('big_declared', '/big-declared'),
      api('big_streamed', '/big-streamed'),
      api('exact', '/exact'),
      api('text_body', '/text', { responseMapping: { fields: [], summaryTemplate: 'They said: {{ text }}', maxResultBytes: 0 } }),
      api('bad_json', '/bad-json'),
      api('binary', '/binary'),
      api('empty', '/empty'),
      api('long', '/long', { responseMapping: { fields: [{ name: 'items', expression: 'items' }], summaryTemplate: '', maxResultBytes: 300 } }),
      api('err500', '/err500', { speech: { startPhrase: '', delayPhrase: '', delayAfterMs: 0, failurePhrase: FAILURE_PHRASE } }),
      api('moved', '/moved'),
      api('moved_follow', '/moved', { maxRedirects: 1 }),
      api('moved_blocked', '/moved-v6', { maxRedirects: 1 }),
      api('err404', '/err404', { speech: { startPhrase: '', delayPhrase: '', delayAfterMs: 0, failurePhrase: FAILURE_PHRASE } }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it("a slow upstream ends in TIMEOUT at the definition's timeout, and the connection is let go", async () => {
    const started = Date.now();
    const res = await invoke(stack, 'slow_def', { q: 'x' });
    const elapsed = Date.now() - started;
    expect(outcomeName(res.outcome)).toBe('OUTCOME_TIMEOUT');
    expect(res.reason).toBe('TIMEOUT');
    expect(res.agentMessage).not.toBe('');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1_000);
    await expect.poll(() => abandoned).toBeGreaterThanOrEqual(1);
  });

  it('a slow upstream ends in TIMEOUT before a gRPC deadline shorter than the definition allows', async () => {
    const started = Date.now();
    // The runtime gives this tool 1.5 s of its turn; the definition would wait 5 s and the upstream holds 3 s.
    // (At 1.5 s the executor keeps 150 ms back to reply, which absorbs a scheduling stall on a loaded machine.)
    const res = await invoke(stack, 'slow_grpc', { q: 'x' }, {}, 1_500);
    const elapsed = Date.now() - started;
    expect(outcomeName(res.outcome)).toBe('OUTCOME_TIMEOUT');
    // Answered (status OK) before the gRPC deadline, long before the definition's timeout or the upstream's answer.
    expect(elapsed).toBeLessThan(1_500);
    // It used the runtime's budget (1_500 less the 150 ms reserve), not cut short: timers never fire early.
    expect(elapsed).toBeGreaterThan(1_000);
  });

  // Deadlines of 1 s and more: below that the reply reserve (at least 50 ms) is within a scheduling stall of a
  // loaded machine. Both stay below the upstream's 3 s hold, so only the executor's own timeout can answer.
  it.each([1_000, 2_500])('answers before a %i ms gRPC deadline, never with DEADLINE_EXCEEDED', async (deadlineMs) => {
    const res = await invoke(stack, 'slow_grpc', { q: 'x' }, {}, deadlineMs).catch((err: { code?: number }) => err);
    expect('code' in res ? grpcStatus[res.code ?? 0] : outcomeName((res as { outcome: number }).outcome)).toBe('OUTCOME_TIMEOUT');
  });

  it('a body that stalls half-way also ends in TIMEOUT', async () => {
    const started = Date.now();
    const res = await invoke(stack, 'slow_body', { q: 'x' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a body over RESPONSE_MAX_BYTES is RESPONSE_TOO_LARGE, declared or streamed', async () => {
    for (const key of ['big_declared', 'big_streamed']) {
      const res = await invoke(stack, key, { q: 'x' });
      expect(outcomeName(res.outcome), key).toBe('OUTCOME_RESPONSE_TOO_LARGE');
      expect(res.reason).toBe('RESPONSE_TOO_LARGE');
      expect(res.detail).toContain(String(MAX_BODY));
      expect(res.httpStatus).toBe(0);
    }
    const ok = await invoke(stack, 'exact', { q: 'x' });
    expect(outcomeName(ok.outcome), ok.detail).toBe('OUTCOME_SUCCESS');
  });

  it('a text body becomes { text } and feeds the summary', async () => {
    const res = await invoke(stack, 'text_body', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(JSON.parse(res.resultJson)).toEqual({ text: 'Your balance is €12.50.' });
    expect(res.summary).toBe('They said: Your balance is €12.50.');
  });

  it('invalid JSON under a JSON content type, or a binary body, is MAPPING_FAILED without quoting the body', async () => {
    const bad = await invoke(stack, 'bad_json', { q: 'x' });
    expect(outcomeName(bad.outcome)).toBe('OUTCOME_MAPPING_FAILED');
    expect(bad.reason).toBe('MAPPING_FAILED');
    expect(bad.httpStatus).toBe(200);
    expect(bad.detail).toContain('not valid JSON');
    expect(bad.detail).not.toContain('temporarily');
    const bin = await invoke(stack, 'binary', { q: 'x' });
    expect(outcomeName(bin.outcome)).toBe('OUTCOME_MAPPING_FAILED');
    expect(bin.detail).toContain('application/pdf');
  });

  it('an empty 204 answer is a success with a null value', async () => {
    const res = await invoke(stack, 'empty', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(res.httpStatus).toBe(204);
    expect(JSON.parse(res.resultJson)).toEqual({ value: null });
  });

  it('a mapped result over max_result_bytes is truncated, flagged and still valid JSON', async () => {
    const res = await invoke(stack, 'long', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(res.resultTruncated).toBe(true);
    expect(Buffer.byteLength(res.resultJson)).toBeLessThanOrEqual(300);
    const result = JSON.parse(res.resultJson) as { items: unknown[]; _truncated: boolean };
    expect(result._truncated).toBe(true);
    expect(result.items.length).toBeGreaterThan(0);
    expect(result.items.length).toBeLessThan(100);
  });

  it("an error status is UPSTREAM_ERROR with reason HTTP_<status> and the definition's failure phrase", async () => {
    for (const [key, code] of [['err500', 500], ['err404', 404]] as const) {
      const res = await invoke(stack, key, { q: 'x' });
      expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
      expect(res.reason).toBe(`HTTP_${code}`);
      expect(res.httpStatus).toBe(code);
      expect(res.agentMessage).toBe(FAILURE_PHRASE);
      expect(res.detail).toContain(String(code));
      expect(res.resultJson).toBe('');
      const audit = await auditOf(stack, res.invocationId);
      expect(audit).toMatchObject({ reason: `HTTP_${code}`, httpStatus: code });
    }
  });

  it('a redirect is not followed unless max_redirects allows it', async () => {
    const before = upstream.requests.length;
    const res = await invoke(stack, 'moved', { q: 'x' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(res.reason).toBe('HTTP_302');
    expect(res.detail).toContain('max_redirects');
    expect(upstream.requests.length).toBe(before + 1);

    const followed = await invoke(stack, 'moved_follow', { q: 'x' });
    expect(outcomeName(followed.outcome), followed.detail).toBe('OUTCOME_SUCCESS');
    expect(JSON.parse(followed.resultJson)).toEqual({ text: 'Your balance is €12.50.' });
    expect(upstream.requests.slice(-2).map((r) => r.url)).toEqual(['/moved?q=x', '/text']);

    const blocked = await invoke(stack, 'moved_blocked', { q: 'x' });
    expect(outcomeName(blocked.outcome), blocked.detail).toBe('OUTCOME_EGRESS_BLOCKED');
    expect(upstream.requests.at(-1)!.url).toBe('/moved-v6?q=x');
  });
});
