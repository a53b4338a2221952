// CircuitBreaker state machine: trips, half-open trials, open-duration backoff, isolation and event order,
// all driven by a manual clock so every transition happens at an asserted instant.

import { describe, expect, it, vi } from 'vitest';
import {
  CircuitBreaker,
  CircuitBreakerError,
  type CircuitBreakerOptions,
  isCircuitBreakerError,
} from '../../../src/breaker/circuit-breaker.ts';
import { ConfigError, WriteFailedError } from '../../../src/errors.ts';
import { BreakerStateView } from '../../../src/protocol/breaker-gate.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const ioError = () => new WriteFailedError('disk I/O error', 'SQLITE_IOERR_WRITE');

function makeBreaker(options: CircuitBreakerOptions = {}) {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ clock, windowSize: 0, consecutiveFailures: 3, openMs: 1000, ...options });
  return { clock, breaker };
}

function fail(breaker: CircuitBreaker, times: number, err: unknown = ioError()) {
  for (let i = 0; i < times; i++) {
    expect(breaker.canPass()).toBe(true);
    breaker.recordFailure(err);
  }
}

describe('CircuitBreaker: consecutive failures', () => {
  it('opens after N consecutive failures, and a success in between resets the count', () => {
    const { breaker } = makeBreaker();
    fail(breaker, 2);
    breaker.recordSuccess();
    fail(breaker, 2);
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.getStats().consecutiveFailures).toBe(2);
    fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.getStats()).toMatchObject({ opens: 1, failures: 5, successes: 1, consecutiveFailures: 3 });
  });

  it('execute runs fn while closed, records the outcome, and rejects without calling fn when open', async () => {
    const { breaker, clock } = makeBreaker();
    await expect(breaker.execute(() => 42)).resolves.toBe(42);
    for (let i = 0; i < 3; i++)
      await expect(breaker.execute(() => Promise.reject(ioError()))).rejects.toThrow('disk I/O');
    expect(breaker.state).toBe('OPEN');

    clock.advance(400);
    const fn = vi.fn(async () => 1);
    const err = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(CircuitBreakerError);
    expect(err).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'OPEN', retryAfterMs: 600 });
    expect(isCircuitBreakerError(err)).toBe(true);
    expect(isCircuitBreakerError({ code: 'CIRCUIT_OPEN', message: 'serialized' })).toBe(true);
    expect(breaker.getStats().rejections).toBe(1);
  });

  it('ignores outcomes that arrive while open (late acks of calls admitted before the trip)', () => {
    const { breaker } = makeBreaker();
    fail(breaker, 3);
    breaker.recordSuccess();
    breaker.recordFailure(ioError());
    expect(breaker.state).toBe('OPEN');
    expect(breaker.getStats().opens).toBe(1);
  });
});

describe('CircuitBreaker: failure rate over a count window', () => {
  const rateOptions: CircuitBreakerOptions = {
    consecutiveFailures: 0,
    windowSize: 10,
    minimumCalls: 6,
    failureRateThreshold: 0.5,
  };

  it('trips when the failure rate over the window reaches the threshold', () => {
    const { breaker } = makeBreaker(rateOptions);
    // F S F S F S: 3/6 = 50% but only failures trip, so the success keeps it closed.
    for (let i = 0; i < 3; i++) {
      breaker.recordFailure(ioError());
      breaker.recordSuccess();
    }
    expect(breaker.state).toBe('CLOSED');
    const opened = vi.fn();
    breaker.on('open', opened);
    breaker.recordFailure(ioError()); // 4/7 ≥ 50%
    expect(breaker.state).toBe('OPEN');
    expect(opened).toHaveBeenCalledWith(expect.objectContaining({ reason: 'failure-rate', openMs: 1000 }));
  });

  it('does not trip below the minimum number of calls, however high the rate', () => {
    const { breaker } = makeBreaker(rateOptions);
    fail(breaker, 5);
    expect(breaker.getStats()).toMatchObject({ windowCalls: 5, windowFailures: 5, consecutiveFailures: 5 });
    expect(breaker.state).toBe('CLOSED');
    fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');
  });

  it('only the last W calls count: old failures slide out of the window', () => {
    const { breaker } = makeBreaker({ ...rateOptions, windowSize: 6, failureRateThreshold: 0.6 });
    // S S F F S S: 2/6
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure(ioError());
    breaker.recordFailure(ioError());
    breaker.recordSuccess();
    breaker.recordSuccess();
    // window slides: drop S → F F S S F, 3/6 = 50% < 60%
    breaker.recordFailure(ioError());
    expect(breaker.getStats()).toMatchObject({ windowCalls: 6, windowFailures: 3 });
    expect(breaker.state).toBe('CLOSED');
    // drop S → F S S F F ... 4/6 ≥ 60%
    breaker.recordFailure(ioError());
    expect(breaker.state).toBe('OPEN');
  });
});

describe('CircuitBreaker: half-open', () => {
  it('half-opens after openMs, lets exactly k trials through, closes after k successes', () => {
    const { breaker, clock } = makeBreaker({ halfOpenTrials: 3 });
    fail(breaker, 3);
    clock.advance(999);
    expect(breaker.state).toBe('OPEN');
    clock.advance(1);
    expect(breaker.state).toBe('HALF_OPEN');

    expect([breaker.canPass(), breaker.canPass(), breaker.canPass(), breaker.canPass()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    breaker.recordSuccess();
    breaker.recordSuccess();
    expect(breaker.state).toBe('HALF_OPEN');
    breaker.recordSuccess();
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.canPass()).toBe(true);
    expect(breaker.getStats()).toMatchObject({ consecutiveFailures: 0, windowCalls: 0, currentOpenMs: 1000 });
  });

  it('re-opens when a half-open trial never reports its outcome, so half-open cannot stall', () => {
    const { breaker, clock } = makeBreaker({ halfOpenTrialTimeoutMs: 5000 });
    const opened = vi.fn();
    breaker.on('open', opened);
    fail(breaker, 3);
    clock.advance(1000);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(breaker.canPass()).toBe(true); // the trial whose outcome gets lost
    clock.advance(4999);
    expect(breaker.canPass()).toBe(false);
    expect(breaker.state).toBe('HALF_OPEN');
    clock.advance(1);
    expect(breaker.canPass()).toBe(false);
    expect(breaker.state).toBe('OPEN');
    expect(opened).toHaveBeenLastCalledWith(expect.objectContaining({ reason: 'half-open-timeout', openMs: 2000 }));
    // The next half-open admits a fresh trial, and its success closes the breaker.
    clock.advance(2000);
    expect(breaker.canPass()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('CLOSED');
  });

  it('shares its trials with senders in other threads, and re-opens when one of theirs never reports', () => {
    const { breaker, clock } = makeBreaker({ halfOpenTrials: 1, halfOpenTrialTimeoutMs: 4000 });
    fail(breaker, 3);
    clock.advance(1000);
    // Another thread's sender reads the same cell: it takes the one trial, the main thread gets none.
    const sender = BreakerStateView.fromShared(breaker.sharedState);
    expect(sender.admitBatch()).toBe(true);
    expect(sender.admitBatch()).toBe(false);
    expect(breaker.getStats().halfOpenAdmitted).toBe(1);
    // Noticed by the breaker's own timer within a quarter of the timeout, then given the full timeout.
    clock.advance(4999);
    expect(breaker.state).toBe('HALF_OPEN');
    clock.advance(1);
    expect(breaker.state).toBe('OPEN');
    expect(sender.admitBatch()).toBe(false);
  });

  it('half-opens on canPass even when the timer has not fired (clock moved without timers)', () => {
    const clock = new ManualClock();
    const lazyClock = { now: () => clock.now(), setTimer: () => 0, clearTimer: () => undefined };
    const breaker = new CircuitBreaker({ clock: lazyClock, consecutiveFailures: 1, windowSize: 0, openMs: 1000 });
    breaker.recordFailure(ioError());
    clock.advance(5000);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.canPass()).toBe(true);
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('a failure in half-open reopens with a doubled open duration, capped at maxOpenMs, reset after a close', () => {
    const { breaker, clock } = makeBreaker({ openMs: 1000, maxOpenMs: 3000 });
    const opened: number[] = [];
    breaker.on('open', (e) => opened.push(e.openMs));

    fail(breaker, 3);
    const reopenAfter = (expectedMs: number) => {
      clock.advance(expectedMs - 1);
      expect(breaker.state).toBe('OPEN');
      clock.advance(1);
      expect(breaker.state).toBe('HALF_OPEN');
      expect(breaker.canPass()).toBe(true);
      breaker.recordFailure(ioError());
      expect(breaker.state).toBe('OPEN');
    };
    reopenAfter(1000);
    reopenAfter(2000);
    reopenAfter(3000); // 4000 capped to 3000
    expect(opened).toEqual([1000, 2000, 3000, 3000]);
    expect(breaker.getStats().currentOpenMs).toBe(3000);

    clock.advance(3000);
    expect(breaker.canPass()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('CLOSED');
    fail(breaker, 3);
    expect(opened.at(-1)).toBe(1000);
  });

  it('an ignored (data) error in half-open gives the trial back instead of stalling', () => {
    const { breaker, clock } = makeBreaker({ halfOpenTrials: 1 });
    fail(breaker, 3);
    clock.advance(1000);
    expect(breaker.canPass()).toBe(true);
    expect(breaker.canPass()).toBe(false);
    expect(breaker.recordFailure({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })).toBe(false);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(breaker.canPass()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('CLOSED');
  });
});

describe('CircuitBreaker: error filter', () => {
  it('a constraint error does not count, SQLITE_FULL does', () => {
    const { breaker } = makeBreaker({ consecutiveFailures: 2 });
    const constraint = Object.assign(new Error('UNIQUE constraint failed: trades.id'), {
      code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    for (let i = 0; i < 5; i++) expect(breaker.recordFailure(constraint)).toBe(false);
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.getStats()).toMatchObject({ failures: 0, ignoredErrors: 5, consecutiveFailures: 0 });

    const full = new WriteFailedError('database or disk is full', 'SQLITE_FULL');
    expect(breaker.recordFailure(full)).toBe(true);
    expect(breaker.recordFailure(full)).toBe(true);
    expect(breaker.state).toBe('OPEN');
  });

  it('uses a custom filter, and counts the failure if the filter itself throws', () => {
    const { breaker } = makeBreaker({
      consecutiveFailures: 1,
      errorFilter: (err) => {
        if (err === 'boom') throw new Error('bad filter');
        return err !== 'harmless';
      },
    });
    expect(breaker.recordFailure('harmless')).toBe(false);
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.recordFailure('boom')).toBe(true);
    expect(breaker.state).toBe('OPEN');
  });
});

describe('CircuitBreaker: isolate / release', () => {
  it('isolate forces the gate shut until release, and the half-open timer cannot reopen it', async () => {
    const { breaker, clock } = makeBreaker();
    fail(breaker, 3);
    expect(breaker.state).toBe('OPEN');
    breaker.isolate();
    expect(breaker.state).toBe('ISOLATED');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    expect(breaker.state).toBe('ISOLATED');
    expect(breaker.canPass()).toBe(false);
    const err = await breaker.execute(() => 1).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'ISOLATED', retryAfterMs: null });
    breaker.recordSuccess();
    expect(breaker.state).toBe('ISOLATED');
    expect(breaker.getStats().timeInOpenMs).toBe(60_000);

    breaker.release();
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.canPass()).toBe(true);
    expect(breaker.getStats()).toMatchObject({ openedAt: null, timeInOpenMs: 60_000, consecutiveFailures: 0 });
    breaker.release();
    expect(breaker.state).toBe('CLOSED');
  });
});

describe('CircuitBreaker: events and stats', () => {
  it('emits events in this exact order over a full cycle', () => {
    const { breaker, clock } = makeBreaker({ halfOpenTrials: 2 });
    const events: string[] = [];
    breaker.on('stateChange', (e) => events.push(`stateChange:${e.from}->${e.to}`));
    breaker.on('open', (e) => events.push(`open:${e.reason}:${e.openMs}`));
    breaker.on('halfOpen', (e) => events.push(`halfOpen:${e.trials}`));
    breaker.on('close', () => events.push('close'));
    breaker.on('reject', (e) => events.push(`reject:${e.state}`));
    breaker.on('deferred', (e) => events.push(`deferred:${e.count}:${e.outstanding}`));
    breaker.on('drained', (e) => events.push(`drained:${e.count}:${e.outstanding}`));

    fail(breaker, 3);
    breaker.canPass();
    breaker.noteDeferred(4);
    clock.advance(1000);
    breaker.canPass();
    breaker.recordFailure(ioError());
    clock.advance(2000);
    breaker.canPass();
    breaker.canPass();
    breaker.canPass();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.noteDrained(4);
    breaker.isolate();
    breaker.release();

    expect(events).toEqual([
      'stateChange:CLOSED->OPEN',
      'open:consecutive-failures:1000',
      'reject:OPEN',
      'deferred:4:4',
      'stateChange:OPEN->HALF_OPEN',
      'halfOpen:2',
      'stateChange:HALF_OPEN->OPEN',
      'open:half-open-failure:2000',
      'stateChange:OPEN->HALF_OPEN',
      'halfOpen:2',
      'reject:HALF_OPEN',
      'stateChange:HALF_OPEN->CLOSED',
      'close',
      'drained:4:0',
      'stateChange:CLOSED->ISOLATED',
      'stateChange:ISOLATED->CLOSED',
      'close',
    ]);
  });

  it('reports counts, open timing and time spent open', () => {
    const { breaker, clock } = makeBreaker();
    const t0 = clock.now();
    breaker.recordSuccess();
    fail(breaker, 3);
    clock.advance(250);
    breaker.canPass();
    expect(breaker.getStats()).toEqual({
      name: 'writer',
      state: 'OPEN',
      generation: 1,
      successes: 1,
      failures: 3,
      ignoredErrors: 0,
      rejections: 1,
      opens: 1,
      consecutiveFailures: 3,
      windowCalls: 0,
      windowFailures: 0,
      currentOpenMs: 1000,
      openedAt: t0,
      unhealthySince: t0,
      openUntil: t0 + 1000,
      timeInOpenMs: 250,
      halfOpenAdmitted: 0,
      halfOpenSuccesses: 0,
      deferred: 0,
      drained: 0,
    });
    clock.advance(750);
    breaker.canPass();
    breaker.recordSuccess();
    clock.advance(5000);
    expect(breaker.getStats()).toMatchObject({
      state: 'CLOSED',
      openedAt: null,
      unhealthySince: null,
      openUntil: null,
      timeInOpenMs: 1000,
      generation: 3,
    });
  });

  it('rejects invalid options with ConfigError', () => {
    expect(() => new CircuitBreaker({ failureRateThreshold: 0 })).toThrow(ConfigError);
    expect(() => new CircuitBreaker({ windowSize: 5, minimumCalls: 6 })).toThrow(ConfigError);
    expect(() => new CircuitBreaker({ openMs: 5000, maxOpenMs: 1000 })).toThrow(ConfigError);
    expect(() => new CircuitBreaker({ halfOpenTrials: 0 })).toThrow(ConfigError);
  });
});
