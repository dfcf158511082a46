import { describe, expect, it } from 'vitest';
import { ExecutorServiceService, InvokeResponse, Outcome } from './index.js';
import { reusingSerializer, withReusingSerializer } from './serialize.js';

const response = (n: number, resultJson: string) =>
  InvokeResponse.fromPartial({ invocationId: `inv-${n}`, outcome: Outcome.OUTCOME_SUCCESS, resultJson, summary: `call ${n}`, httpStatus: 200 });

describe('reusingSerializer', () => {
  it('writes the bytes the generated serializer writes, for messages that grow and shrink', () => {
    const serialize = reusingSerializer(InvokeResponse);
    for (const [n, body] of [[1, '{}'], [2, JSON.stringify({ big: 'x'.repeat(5_000) })], [3, '{"small":1}']] as const) {
      const value = response(n, body);
      expect(serialize(value).equals(ExecutorServiceService.invoke.responseSerialize(value))).toBe(true);
    }
  });

  it('gives each message bytes of its own: a later message does not change an earlier one', () => {
    const serialize = reusingSerializer(InvokeResponse);
    const first = serialize(response(1, '{"a":1}'));
    const copy = Buffer.from(first);
    serialize(response(2, '{"b":"overwrite?"}'));
    expect(first.equals(copy)).toBe(true);
    expect(InvokeResponse.decode(first).invocationId).toBe('inv-1');
  });

  it('starts clean after an encode that threw', () => {
    let calls = 0;
    const flaky = {
      encode(message: InvokeResponse, writer?: Parameters<typeof InvokeResponse.encode>[1]) {
        if (++calls === 1) {
          InvokeResponse.encode({ ...message, summary: 'half written' }, writer);
          throw new Error('boom');
        }
        return InvokeResponse.encode(message, writer);
      },
    };
    const serialize = reusingSerializer(flaky);
    expect(() => serialize(response(1, '{}'))).toThrow('boom');
    const value = response(2, '{}');
    expect(serialize(value).equals(ExecutorServiceService.invoke.responseSerialize(value))).toBe(true);
  });

  it('withReusingSerializer changes only the response serializer of the method', () => {
    const method = withReusingSerializer(ExecutorServiceService.invoke, InvokeResponse);
    expect(method.path).toBe(ExecutorServiceService.invoke.path);
    expect(method.requestDeserialize).toBe(ExecutorServiceService.invoke.requestDeserialize);
    expect(method.responseSerialize).not.toBe(ExecutorServiceService.invoke.responseSerialize);
  });
});
