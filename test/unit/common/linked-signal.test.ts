import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignals } from '../../../src/common/linked-signal.ts';

describe('linkSignals', () => {
  it('aborts with the first source reason and leaves no listener behind on a long-lived source', () => {
    const stop = new AbortController();
    for (let i = 0; i < 1000; i++) linkSignals([stop.signal, AbortSignal.timeout(60_000)]).dispose();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);

    const other = new AbortController();
    const linked = linkSignals([stop.signal, undefined, other.signal]);
    expect(linked.signal.aborted).toBe(false);
    other.abort(new Error('timeout'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('timeout');
    linked.dispose();
    expect(linkSignals([AbortSignal.abort('gone')]).signal.reason).toBe('gone');
  });
});
