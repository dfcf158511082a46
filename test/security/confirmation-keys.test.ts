import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthType, BurdenLevel, HttpMethod, Integration, Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

// Issue 17.1: the confirmation HMAC key came from SWITCHBOARD_MASTER_KEYS_FILE's *path* when the keys
// were in a file, so anyone who knew the path could mint tokens. These run the real executor with a
// keys file, as compose and the Kubernetes manifests do, and rewrite or move that file between restarts.

const ARGS = { service: 'cleaning', date: '2026-03-03' };
const material = () => randomBytes(32).toString('base64');

describe('confirmation tokens are keyed by secret material, not by where it lives', () => {
  let upstream: Upstream;
  let stack: Stack;
  let dir: string;
  let keysFile: string;
  const A = material();
  const B = material();

  const invoke = (callId: string, confirmationToken = '') =>
    stack.executorClient.invoke({
      orgId: stack.orgId,
      toolKey: 'book_visit',
      callId,
      argumentsJson: JSON.stringify(ARGS),
      context: { callerNumber: '', calledNumber: '', orgTimeZone: '', confirmationToken, callerRequest: undefined, verification: undefined },
    });
  /** A fresh token for a fresh call, under whatever keys the executor has now. */
  const issue = async () => {
    const callId = randomUUID();
    const first = await invoke(callId);
    expect(first.outcome).toBe(Outcome.OUTCOME_CONFIRMATION_REQUIRED);
    return { callId, token: first.confirmation!.token };
  };
  const restartWith = async (file: string, keys: string) => {
    writeFileSync(file, keys, { mode: 0o600 });
    await stack.restart('executor', { SWITCHBOARD_MASTER_KEYS_FILE: file });
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-keys-'));
    keysFile = path.join(dir, 'master-keys');
    writeFileSync(keysFile, `k1:${A}`, { mode: 0o600 });
    upstream = await startUpstream((_req, res) => json(res, 200, { booked: true }));
    stack = await startStack({
      egressAllow: '127.0.0.1/32',
      withLogger: false,
      // Unset, as in compose and Kubernetes: the keys come from the file only.
      env: { SWITCHBOARD_MASTER_KEYS: undefined, SWITCHBOARD_MASTER_KEYS_FILE: keysFile },
    });
    await stack.registryClient.create(
      Integration.fromPartial({
        key: 'book_visit',
        name: 'book visit',
        description: 'Books a visit.',
        enabled: true,
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/book`,
        parameters: ['service', 'date'].map((name) => ({
          name,
          type: ParameterType.PARAMETER_TYPE_STRING,
          required: true,
          location: ParameterLocation.PARAMETER_LOCATION_BODY,
          description: name,
        })),
        auth: { type: AuthType.AUTH_TYPE_NONE },
        burden: { level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt: 'Shall I book it?', fillerPhrase: '' },
      }),
    );
    await waitFor(async () => ((await invoke(randomUUID())).outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true), 'definition');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a token after the keys file is rewritten with other key material at the same path and id', async () => {
    const { callId, token } = await issue();
    await restartWith(keysFile, `k1:${B}`);
    const again = await invoke(callId, token);
    expect(again.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(again.reason).toBe('TOKEN_INVALID');
  });

  it('accepts a token after the same key material moves to another path', async () => {
    await restartWith(keysFile, `k1:${A}`);
    const { callId, token } = await issue();
    const movedFile = path.join(mkdtempSync(path.join(dir, 'moved-')), 'keys.txt');
    await restartWith(movedFile, `k1:${A}`);
    const again = await invoke(callId, token);
    expect(again.outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('keeps accepting tokens of the previous key during a rotation, and not after the old key is removed', async () => {
    await restartWith(keysFile, `k1:${A}`);
    const before = await issue();
    const later = await issue();
    // Rotation: k2 is added as the newest key; k1 stays in the ring until re-sealing is done.
    await restartWith(keysFile, `k1:${A},k2:${B}`);
    expect((await invoke(before.callId, before.token)).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const issuedUnderK2 = await issue();
    // Rotation finished: k1 is gone, so its tokens are gone with it; k2's still hold.
    await restartWith(keysFile, `k2:${B}`);
    const stale = await invoke(later.callId, later.token);
    expect(stale.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(stale.reason).toBe('TOKEN_INVALID');
    expect((await invoke(issuedUnderK2.callId, issuedUnderK2.token)).outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });
});
