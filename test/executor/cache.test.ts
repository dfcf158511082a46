import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BurdenLevel, CacheScope, HttpMethod, Outcome, ParameterLocation, ParameterType, type Integration } from '@switchboard/contracts';
import { REDIS_URL, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, register, sleep, startExecutorStack, type DeepPartial } from './helpers.js';
import { waitFor } from '../support/audit-files.js';

const CALL = '0b6f4a52-3c1e-4f7a-9d2b-8e5f6a7b8c90';
const OTHER_CALL = '5d2e8f10-7a3b-4c6d-8e9f-0a1b2c3d4e5f';

/**
 * Issue 25's per-call response cache: repeated lookups are answered from Redis (sealed), audited with
 * cache_hit, never past the burden gate, and forgotten after the TTL or when the definition changes.
 */
describe('response cache', () => {
  let upstream: Upstream;
  let stack: Stack;
  let redis: Redis;
  let served = 0;

  const hits = (path: string) => upstream.requests.filter((r) => r.url.split('?')[0] === `/${path}`).length;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      served++;
      json(res, 200, { patient: 'Ada Lovelace', served, q: new URL(req.url, 'http://x').searchParams.get('q') });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', withLogger: false });
    redis = new Redis(REDIS_URL);
    const api = (key: string, cache: DeepPartial<Integration['cache']>, extra: DeepPartial<Integration> = {}) =>
      define({
        key,
        urlTemplate: `${upstream.url}/${key}`,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
        responseMapping: { fields: [{ name: 'patient', expression: 'patient' }, { name: 'served', expression: 'served' }], summaryTemplate: 'Patient {{patient}}.' },
        cache,
        ...extra,
      });
    await register(
      stack,
      api('per_call', { ttlSeconds: 60 }),
      api('per_org', { ttlSeconds: 60, scope: CacheScope.CACHE_SCOPE_ORG }),
      api('short', { ttlSeconds: 1, scope: CacheScope.CACHE_SCOPE_ORG }),
      api('revised', { ttlSeconds: 60, scope: CacheScope.CACHE_SCOPE_ORG }),
      api('requested', { ttlSeconds: 60, scope: CacheScope.CACHE_SCOPE_ORG }, { burden: { level: BurdenLevel.BURDEN_LEVEL_REQUESTED } }),
    );
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    await upstream?.close();
  });

  it('answers the same lookup in the same call from the cache, audited as cache_hit', async () => {
    const first = await invoke(stack, 'per_call', { q: 'a' }, { callId: CALL });
    // The entry is written as the run ends, just after the answer.
    await sleep(100);
    const again = await invoke(stack, 'per_call', { q: 'a' }, { callId: CALL });
    expect(first.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(again).toMatchObject({ outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK', resultJson: first.resultJson, summary: 'Patient Ada Lovelace.', httpStatus: 0 });
    expect(hits('per_call')).toBe(1);
    expect((await auditOf(stack, again.invocationId)).cacheHit).toBe(true);
    expect((await auditOf(stack, first.invocationId)).cacheHit).toBeUndefined();
    // Other arguments, and another call, ask the upstream.
    await invoke(stack, 'per_call', { q: 'b' }, { callId: CALL });
    await invoke(stack, 'per_call', { q: 'a' }, { callId: OTHER_CALL });
    expect(hits('per_call')).toBe(3);
  });

  it('keeps entries sealed: neither the arguments nor the result are readable in Redis', async () => {
    await invoke(stack, 'per_org', { q: 'secret-lookup' }, { callId: CALL });
    const keys = await waitFor(async () => {
      const found = await redis.keys(`${stack.env['REDIS_KEY_PREFIX']}cache:*`);
      return found.length > 0 ? found : undefined;
    }, 'a cache entry');
    for (const key of keys) {
      expect(key).not.toContain('secret-lookup');
      expect(await redis.get(key)).not.toContain('Lovelace');
    }
    const again = await invoke(stack, 'per_org', { q: 'secret-lookup' }, { callId: OTHER_CALL });
    expect(again.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    // Scope org: another call shares the entry.
    expect(hits('per_org')).toBe(1);
  });

  it('forgets an entry after its TTL', async () => {
    await invoke(stack, 'short', { q: 'a' });
    await sleep(100);
    await invoke(stack, 'short', { q: 'a' });
    expect(hits('short')).toBe(1);
    await sleep(1_200);
    await invoke(stack, 'short', { q: 'a' });
    expect(hits('short')).toBe(2);
  });

  it('never answers from an older revision of the definition', async () => {
    await invoke(stack, 'revised', { q: 'a' });
    await sleep(100);
    await invoke(stack, 'revised', { q: 'a' });
    expect(hits('revised')).toBe(1);
    const record = await stack.registryClient.get('revised');
    const changed = { ...record.integration!, description: 'A changed description.' };
    await stack.registryClient.update(changed, Number(record.revision));
    // Once the executor follows the new revision, the same lookup goes to the upstream again.
    await waitFor(async () => {
      await invoke(stack, 'revised', { q: 'a' });
      return hits('revised') >= 2 ? true : undefined;
    }, 'the new revision to miss the cache');
  });

  it('never lets a cached answer past the burden gate', async () => {
    const asked = {
      context: { callerNumber: '', calledNumber: '', orgTimeZone: '', confirmationToken: '', verification: undefined, callerRequest: { asked: true, utterance: 'Look me up', turnRef: 't1' } },
    };
    const first = await invoke(stack, 'requested', { q: 'a' }, { callId: CALL, ...asked });
    expect(first.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    await sleep(100);
    const unasked = await invoke(stack, 'requested', { q: 'a' }, { callId: CALL });
    expect(unasked).toMatchObject({ outcome: Outcome.OUTCOME_POLICY_BLOCKED, reason: 'CALLER_REQUEST_REQUIRED' });
    const again = await invoke(stack, 'requested', { q: 'a' }, { callId: CALL, ...asked });
    expect(again.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(hits('requested')).toBe(1);
  });

  it('refuses a cache on a method that is not a read', async () => {
    const post = define({ key: 'cached_post', urlTemplate: `${upstream.url}/p`, method: HttpMethod.HTTP_METHOD_POST, cache: { ttlSeconds: 60 } });
    await expect(stack.registryClient.create(post)).rejects.toThrow(/cache/);
  });
});
