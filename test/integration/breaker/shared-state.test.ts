// The breaker's SharedArrayBuffer cell: the read-only view tracks every state, and a real worker thread
// sees a change by reading shared memory, with no message carrying the new state.

import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/breaker/circuit-breaker.ts';
import { WriteFailedError } from '../../../src/errors.ts';
import { BREAKER_STATE_CODES, BreakerStateView } from '../../../src/protocol/breaker-gate.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const ioError = () => new WriteFailedError('disk I/O error', 'SQLITE_IOERR');

function tripped(breaker: CircuitBreaker) {
  breaker.recordFailure(ioError());
  return breaker;
}

describe('BreakerStateView', () => {
  it('reflects every state, the generation and the gate flags', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ clock, consecutiveFailures: 1, windowSize: 0, openMs: 100 });
    const view = BreakerStateView.fromShared(breaker.sharedState);
    const raw = new Int32Array(breaker.sharedState);
    const seen = () => [view.state, view.allowsWrites, view.isClosed, view.generation];

    expect(seen()).toEqual(['CLOSED', true, true, 0]);
    tripped(breaker);
    expect(seen()).toEqual(['OPEN', false, false, 1]);
    expect(raw[0]).toBe(BREAKER_STATE_CODES.OPEN);
    clock.advance(100);
    expect(seen()).toEqual(['HALF_OPEN', true, false, 2]);
    breaker.isolate();
    expect(seen()).toEqual(['ISOLATED', false, false, 3]);
    expect(raw[0]).toBe(3);
    breaker.release();
    expect(seen()).toEqual(['CLOSED', true, true, 4]);
    expect(breaker.getStats().generation).toBe(view.generation);
  });

  it('refuses buffers that are not a breaker cell', () => {
    expect(() => BreakerStateView.fromShared(new ArrayBuffer(8) as unknown as SharedArrayBuffer)).toThrow(TypeError);
    expect(() => BreakerStateView.fromShared(new SharedArrayBuffer(4))).toThrow(RangeError);
    const bad = new SharedArrayBuffer(8);
    new Int32Array(bad)[0] = 9;
    expect(() => BreakerStateView.fromShared(bad).state).toThrow(RangeError);
  });
});

describe('BreakerStateView in a worker thread', () => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.terminate();
    worker = undefined;
  });

  interface Report {
    kind: 'ready' | 'seen';
    state: string;
    allowsWrites: boolean;
    isClosed: boolean;
    generation: number;
  }

  /** Hands out the worker's messages in order; rejects if the worker errors or exits. */
  function inbox(w: Worker): () => Promise<Report> {
    const queue: Report[] = [];
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    w.on('message', (m: Report) => {
      queue.push(m);
      wake?.();
    });
    w.on('error', (err) => {
      failure = err;
      wake?.();
    });
    w.on('exit', (code) => {
      failure ??= new Error(`worker exited with ${code}`);
      wake?.();
    });
    return async () => {
      while (queue.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return queue.shift()!;
    };
  }

  async function watch(w: Worker, next: () => Promise<Report>, waitFor: string, act: () => void) {
    w.postMessage({ waitFor, timeoutMs: 20_000 });
    // Act only once the worker has read the old state, so it must observe the change in shared memory.
    const ready = await next();
    act();
    const seen = await next();
    return { ready, seen };
  }

  it('a worker reads state changes straight from the SharedArrayBuffer', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, windowSize: 0, openMs: 60_000 });
    worker = new Worker(new URL('./fixtures/state-reader.worker.js', import.meta.url), {
      workerData: { sab: breaker.sharedState },
    });
    const next = inbox(worker);
    try {
      const opened = await watch(worker, next, 'OPEN', () => tripped(breaker));
      expect(opened.ready).toMatchObject({ state: 'CLOSED', allowsWrites: true, generation: 0 });
      expect(opened.seen).toMatchObject({
        kind: 'seen',
        state: 'OPEN',
        allowsWrites: false,
        isClosed: false,
        generation: 1,
      });

      const isolated = await watch(worker, next, 'ISOLATED', () => breaker.isolate());
      expect(isolated.seen).toMatchObject({ state: 'ISOLATED', allowsWrites: false, generation: 2 });

      const closed = await watch(worker, next, 'CLOSED', () => breaker.release());
      expect(closed.seen).toMatchObject({ state: 'CLOSED', allowsWrites: true, isClosed: true, generation: 3 });
    } finally {
      breaker.dispose();
    }
  });
});
