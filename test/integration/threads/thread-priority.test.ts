// Collector threads lower their own CPU priority, and only their own: the writer and the main thread keep theirs.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { checkNice, lowerThisThreadPriority, type ThreadPriorityOutcome } from '../../../src/common/thread-priority.ts';
import { threadNice } from '../../support/thread-nice.ts';

async function inWorker(steps: number[]): Promise<{ outcomes: ThreadPriorityOutcome[]; kernelNice: number }> {
  const w = new Worker(new URL('./fixtures/priority-worker.js', import.meta.url), { workerData: { steps } });
  try {
    const [m] = await once(w, 'message');
    return m as { outcomes: ThreadPriorityOutcome[]; kernelNice: number };
  } finally {
    await w.terminate();
  }
}

describe('lowerThisThreadPriority', () => {
  it('sets the calling worker thread nice, and leaves the main thread as it was', async () => {
    const mainBefore = threadNice('thread-self');
    const r = await inWorker([7]);
    expect(r.outcomes).toEqual([{ applied: true, nice: 7 }]);
    expect(r.kernelNice).toBe(7);
    expect(threadNice('thread-self')).toBe(mainBefore);
  });

  it('never raises a priority: a lower value after a higher one keeps the higher', async () => {
    const r = await inWorker([12, 3]);
    expect(r.outcomes).toEqual([
      { applied: true, nice: 12 },
      { applied: true, nice: 12 },
    ]);
    expect(r.kernelNice).toBe(12);
  });

  it('does nothing off Linux, where it would slow the whole process', () => {
    const before = threadNice('thread-self');
    expect(lowerThisThreadPriority(10, 'darwin')).toEqual({
      applied: false,
      nice: 10,
      reason: 'per-thread priorities need Linux (this is darwin)',
    });
    expect(threadNice('thread-self')).toBe(before);
  });

  it.each([-1, 20, 2.5, '5', null])('refuses %j as a nice value', (bad) => {
    expect(() => checkNice('collectorNice', bad)).toThrow(/invalid collectorNice .*: expected an integer from 0 to 19/);
  });
});
