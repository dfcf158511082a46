import { describe, expect, it } from 'vitest';
import { settleIntents, type PendingEvent } from './publisher.js';

const event = (msgID: string, segment: number): PendingEvent => ({ subject: 's', bytes: new Uint8Array([1]), msgID, segment });

describe('settleIntents: a batch read back from the spool', () => {
  it('drops an intent whose outcome is in the batch and acknowledges its segment with the outcome', () => {
    const out = settleIntents([event('a:intent', 3), event('b', 3), event('a', 4)]);
    expect(out.map((e) => [e.msgID, e.segment, e.intentSegment])).toEqual([
      ['b', 3, undefined],
      ['a', 4, 3],
    ]);
  });

  it('keeps an intent whose outcome is not in the batch, and an outcome without an intent', () => {
    const batch = [event('a:intent', 1), event('b', 1)];
    expect(settleIntents(batch).map((e) => e.msgID)).toEqual(['a:intent', 'b']);
  });

  it('leaves a batch without intents as it is', () => {
    const batch = [event('a', 1), event('b', 2)];
    expect(settleIntents(batch)).toEqual(batch);
  });
});
