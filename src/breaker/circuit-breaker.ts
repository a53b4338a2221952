// The circuit breaker that gates the writer. It lives in the main thread, takes outcomes both from calls it
// runs (`execute`) and from outcomes observed elsewhere (writer acks/nacks via `recordSuccess/Failure`), and
// publishes its state into a SharedArrayBuffer that every thread can read without a round trip. This is the state
// machine (closed, open, half-open trials, isolation); what trips a closed breaker is up to its TripStrategies.

import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../common/clock.ts';
import type { ErrorFilter } from '../common/error-filter.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import { BreakerState, BreakerStateCell, BreakerStateView } from '../protocol/breaker-gate.ts';
import { CircuitBreakerError } from '../protocol/circuit-breaker-error.ts';
import { type CircuitBreakerOptions, resolveBreakerOptions } from './breaker-options.ts';
import type { CircuitBreakerEvents, CircuitBreakerStats, OpenReason } from './breaker-report.ts';
import { ConsecutiveFailuresTrip } from './consecutive-failures-trip.ts';
import { FailureRateTrip } from './failure-rate-trip.ts';
import type { TripReason, TripStrategy } from './trip-strategy.ts';

export type { Clock } from '../common/clock.ts';
export { defaultErrorFilter, type ErrorFilter } from '../common/error-filter.ts';
export { BreakerState, BreakerStateView } from '../protocol/breaker-gate.ts';
export { CircuitBreakerError, isCircuitBreakerError } from '../protocol/circuit-breaker-error.ts';
export type { CircuitBreakerOptions } from './breaker-options.ts';

export type { CircuitBreakerEvents, CircuitBreakerStats, OpenReason } from './breaker-report.ts';

export class CircuitBreaker extends EventEmitter<CircuitBreakerEvents> {
  readonly name: string;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly halfOpenTrials: number;
  private readonly errorFilter: ErrorFilter;
  private readonly clock: Clock;
  private readonly cell: BreakerStateCell;
  private readonly log: Logger;

  private _state: BreakerState = BreakerState.CLOSED;
  private timer: TimerHandle | null = null;
  private openMs: number;
  private openUntil: number | null = null;
  private shutSince: number | null = null;
  private unhealthySince: number | null = null;
  private shutTotalMs = 0;

  private readonly consecutiveTrip: ConsecutiveFailuresTrip;
  private readonly rateTrip: FailureRateTrip;
  /** Asked in this order; the first that trips names the reason. */
  private readonly trips: readonly TripStrategy[];
  private halfOpenSuccesses = 0;
  /** Trials seen claimed so far in this half-open (senders in other threads claim them in the shared cell). */
  private trialsSeen = 0;
  /** When the latest half-open trial was seen claimed (epoch ms); null when none is outstanding. */
  private lastTrialAt: number | null = null;
  private readonly trialTimeoutMs: number;
  private generation = 0;
  private counts = { successes: 0, failures: 0, ignoredErrors: 0, rejections: 0, opens: 0, deferred: 0, drained: 0 };

  constructor(options: CircuitBreakerOptions = {}) {
    super();
    const o = resolveBreakerOptions(options);
    this.name = o.name;
    this.consecutiveTrip = new ConsecutiveFailuresTrip(o.consecutiveFailures);
    this.rateTrip = new FailureRateTrip(o.windowSize, o.minimumCalls, o.failureRateThreshold);
    this.trips = [this.consecutiveTrip, this.rateTrip];
    this.baseOpenMs = o.openMs;
    this.maxOpenMs = o.maxOpenMs;
    this.halfOpenTrials = o.halfOpenTrials;
    this.trialTimeoutMs = o.halfOpenTrialTimeoutMs;
    this.errorFilter = o.errorFilter;
    this.clock = o.clock;
    this.openMs = this.baseOpenMs;
    this.cell = new BreakerStateCell(BreakerState.CLOSED);
    this.log = options.logger
      ? options.logger.child({ component: 'circuit-breaker', breaker: this.name })
      : componentLogger('circuit-breaker', { breaker: this.name });
  }

  get state(): BreakerState {
    return this._state;
  }

  /** The shared cell; hand it to other threads and wrap it with `BreakerStateView.fromShared`. */
  get sharedState(): SharedArrayBuffer {
    return this.cell.buffer;
  }

  view(): BreakerStateView {
    return BreakerStateView.fromShared(this.cell.buffer);
  }

  /**
   * Asks to make one call. Every `true` in half-open uses up a trial (a slot of the shared cell, which senders in
   * other threads claim too), so the caller must later report the outcome with recordSuccess/recordFailure, or
   * give the slot back with returnTrial. A `false` counts as a rejection.
   */
  canPass(): boolean {
    if (this._state === BreakerState.OPEN && this.openUntil !== null && this.clock.now() >= this.openUntil) {
      // The timer may not have fired yet (busy event loop, or an injected clock that only moves `now`).
      this.toHalfOpen();
    }
    switch (this._state) {
      case BreakerState.CLOSED:
        return true;
      case BreakerState.HALF_OPEN:
        if (this.cell.claimTrial()) {
          this.noteTrials();
          return true;
        }
        this.reopenIfTrialLost();
        break;
      default:
        break;
    }
    this.counts.rejections++;
    this.emit('reject', { state: this._state, retryAfterMs: this.retryAfterMs() });
    return false;
  }

  /** Runs `fn` if the breaker allows it and records its outcome; otherwise rejects with CircuitBreakerError. */
  async execute<R>(fn: () => R | Promise<R>): Promise<R> {
    if (!this.canPass()) throw this.rejectionError();
    let result: R;
    try {
      result = await fn();
    } catch (err) {
      this.recordFailure(err);
      throw err;
    }
    this.recordSuccess();
    return result;
  }

  /** The error `execute` rejects with right now; for callers gating with canPass() themselves. */
  rejectionError(): CircuitBreakerError {
    return new CircuitBreakerError(this.name, this._state, this.retryAfterMs());
  }

  /** `calls`: how many trials the success covers (one transaction of the writer may commit several batches). */
  recordSuccess(calls = 1): void {
    this.counts.successes++;
    for (const trip of this.trips) trip.success(this._state);
    // OPEN/ISOLATED: a late ack for a call admitted before the trip; it proves nothing about now.
    if (this._state === BreakerState.HALF_OPEN) {
      this.halfOpenSuccesses += calls;
      if (this.halfOpenSuccesses >= this.halfOpenTrials) this.toClosed();
    }
  }

  /** Records a failed call; returns whether the error counted (the filter may say it is a data error). */
  recordFailure(error: unknown): boolean {
    if (!this.isCountedFailure(error)) {
      this.counts.ignoredErrors++;
      // The trial told us nothing about the database: give it back so half-open cannot stall.
      if (this._state === BreakerState.HALF_OPEN && this.admitted() > this.halfOpenSuccesses) this.returnTrial();
      return false;
    }
    this.counts.failures++;
    let tripped: TripReason | null = null;
    // Every strategy hears the failure, even after one has tripped.
    for (const trip of this.trips) if (trip.failure(this._state) && tripped === null) tripped = trip.reason;
    switch (this._state) {
      case BreakerState.CLOSED:
        if (tripped !== null) this.toOpen(tripped, error);
        break;
      case BreakerState.HALF_OPEN:
        this.toOpen('half-open-failure', error);
        break;
      default:
        break;
    }
    return true;
  }

  /** A half-open trial admitted by canPass() was not made after all: its slot goes back for another sender. */
  returnTrial(): void {
    if (this._state !== BreakerState.HALF_OPEN || this.admitted() === 0) return;
    this.cell.returnTrial();
    this.trialsSeen = Math.min(this.trialsSeen, this.admitted());
  }

  /** Forces the breaker open until release(), e.g. while an operator repairs the database file. */
  isolate(): void {
    if (this._state === BreakerState.ISOLATED) return;
    this.clearTimer();
    this.openUntil = null;
    this.log.warn('breaker isolated');
    this.transition(BreakerState.ISOLATED);
  }

  /** Ends isolation; the breaker starts over closed. No-op unless isolated. */
  release(): void {
    if (this._state !== BreakerState.ISOLATED) return;
    this.toClosed();
  }

  /** The deferred queue reports batches it took because the gate was shut. */
  noteDeferred(count: number): void {
    this.counts.deferred += count;
    this.emit('deferred', { count, totalDeferred: this.counts.deferred, outstanding: this.outstanding() });
  }

  /** The deferred queue reports batches it replayed successfully. */
  noteDrained(count: number): void {
    this.counts.drained += count;
    this.emit('drained', { count, totalDrained: this.counts.drained, outstanding: this.outstanding() });
  }

  getStats(): CircuitBreakerStats {
    const now = this.clock.now();
    return {
      name: this.name,
      state: this._state,
      generation: this.generation,
      successes: this.counts.successes,
      failures: this.counts.failures,
      ignoredErrors: this.counts.ignoredErrors,
      rejections: this.counts.rejections,
      opens: this.counts.opens,
      consecutiveFailures: this.consecutiveTrip.count,
      windowCalls: this.rateTrip.calls,
      windowFailures: this.rateTrip.failures,
      currentOpenMs: this.openMs,
      openedAt: this.shutSince,
      unhealthySince: this.unhealthySince,
      openUntil: this.openUntil,
      timeInOpenMs: this.shutTotalMs + (this.shutSince === null ? 0 : now - this.shutSince),
      halfOpenAdmitted: this.admitted(),
      halfOpenSuccesses: this.halfOpenSuccesses,
      deferred: this.counts.deferred,
      drained: this.counts.drained,
    };
  }

  /** Stops the half-open timer; the breaker keeps answering with its last state. */
  dispose(): void {
    this.clearTimer();
  }

  private isCountedFailure(error: unknown): boolean {
    try {
      return this.errorFilter(error);
    } catch (filterError) {
      // A broken filter must not hide a sick database: count the failure.
      this.log.error({ err: filterError }, 'error filter threw; counting the failure');
      return true;
    }
  }

  /** Trials claimed in this half-open, by this thread or any sender. */
  private admitted(): number {
    return this._state === BreakerState.HALF_OPEN ? this.halfOpenTrials - this.cell.trialsLeft : 0;
  }

  /** Notes trials claimed since last looked (senders claim them in the shared cell, unseen): their clock starts. */
  private noteTrials(): void {
    const admitted = this.admitted();
    if (admitted > this.trialsSeen) this.lastTrialAt = this.clock.now();
    this.trialsSeen = admitted;
  }

  /** A trial whose outcome never came (its sender died, its message was lost) must not hold half-open for ever. */
  private reopenIfTrialLost(): void {
    this.noteTrials();
    const outstanding = this.admitted() > this.halfOpenSuccesses;
    if (outstanding && this.lastTrialAt !== null && this.clock.now() - this.lastTrialAt >= this.trialTimeoutMs)
      this.toOpen('half-open-timeout', new Error(`no outcome for a half-open trial within ${this.trialTimeoutMs} ms`));
  }

  /**
   * Senders in other threads claim trials without calling canPass(): a timer looks for lost ones instead, a
   * few times per timeout, so a lost trial reopens the breaker within about 1.25 × the timeout.
   */
  private watchTrials(): void {
    const period = Math.max(1, Math.floor(this.trialTimeoutMs / 4));
    const due = this.lastTrialAt === null ? period : this.lastTrialAt + this.trialTimeoutMs - this.clock.now();
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        if (this._state !== BreakerState.HALF_OPEN) return;
        this.reopenIfTrialLost();
        if (this._state === BreakerState.HALF_OPEN) this.watchTrials();
      },
      Math.max(1, Math.min(period, due)),
      { keepAlive: false },
    );
  }

  private outstanding(): number {
    return Math.max(0, this.counts.deferred - this.counts.drained);
  }

  private retryAfterMs(): number | null {
    if (this._state !== BreakerState.OPEN || this.openUntil === null) return null;
    return Math.max(0, this.openUntil - this.clock.now());
  }

  private toOpen(reason: OpenReason, error: unknown): void {
    this.clearTimer();
    if (reason === 'half-open-failure' || reason === 'half-open-timeout')
      this.openMs = Math.min(this.openMs * 2, this.maxOpenMs);
    this.openUntil = this.clock.now() + this.openMs;
    this.counts.opens++;
    for (const trip of this.trips) trip.opened();
    this.halfOpenSuccesses = 0;
    this.trialsSeen = 0;
    this.lastTrialAt = null;
    this.log.warn({ reason, openMs: this.openMs, err: error }, 'breaker opened');
    this.timer = this.clock.setTimer(() => this.onOpenElapsed(), this.openMs, { keepAlive: false });
    this.transition(BreakerState.OPEN);
    this.emit('open', { reason, openMs: this.openMs, error });
  }

  private onOpenElapsed(): void {
    this.timer = null;
    if (this._state === BreakerState.OPEN) this.toHalfOpen();
  }

  private toHalfOpen(): void {
    this.clearTimer();
    this.openUntil = null;
    this.halfOpenSuccesses = 0;
    this.trialsSeen = 0;
    this.lastTrialAt = null;
    this.log.info({ trials: this.halfOpenTrials }, 'breaker half-open');
    this.transition(BreakerState.HALF_OPEN);
    this.watchTrials();
    this.emit('halfOpen', { trials: this.halfOpenTrials });
  }

  private toClosed(): void {
    this.clearTimer();
    this.openUntil = null;
    this.openMs = this.baseOpenMs;
    for (const trip of this.trips) trip.closed();
    this.halfOpenSuccesses = 0;
    this.trialsSeen = 0;
    this.log.info('breaker closed');
    this.transition(BreakerState.CLOSED);
    this.emit('close');
  }

  private transition(to: BreakerState): void {
    const from = this._state;
    if (from === to) return;
    const at = this.clock.now();
    const shut = (s: BreakerState) => s === BreakerState.OPEN || s === BreakerState.ISOLATED;
    if (shut(from) && this.shutSince !== null) {
      this.shutTotalMs += at - this.shutSince;
      this.shutSince = null;
    }
    if (shut(to) && this.shutSince === null) this.shutSince = at;
    // Unhealthy spans OPEN → HALF_OPEN → OPEN cycles; only a close ends it (the "open > 60 s" alert reads it).
    if (to === BreakerState.CLOSED) this.unhealthySince = null;
    else if (this.unhealthySince === null) this.unhealthySince = at;
    this._state = to;
    this.generation++;
    this.cell.publish(to, this.halfOpenTrials);
    this.emit('stateChange', { from, to, at });
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
  }
}
