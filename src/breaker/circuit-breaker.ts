// The circuit breaker that gates the writer. It lives in the main thread, takes outcomes both from calls it
// runs (`execute`) and from outcomes observed elsewhere (writer acks/nacks via `recordSuccess/Failure`), and
// publishes its state into a SharedArrayBuffer that every thread can read without a round trip.

import { EventEmitter } from 'node:events';
import { type Clock, systemClock, type TimerHandle } from '../common/clock.ts';
import { ConfigError, GeckoCollectorError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import { BreakerState, BreakerStateCell, BreakerStateView } from '../protocol/breaker-gate.ts';
import { defaultErrorFilter, type ErrorFilter } from './breaker-error-filter.ts';

export type { Clock } from '../common/clock.ts';
export { BreakerState, BreakerStateView } from '../protocol/breaker-gate.ts';
export { defaultErrorFilter, type ErrorFilter } from './breaker-error-filter.ts';

/** Raised instead of running a call while the breaker is open, isolated, or out of half-open trials. */
export class CircuitBreakerError extends GeckoCollectorError {
  readonly code = 'CIRCUIT_OPEN';
  constructor(
    readonly breakerName: string,
    readonly state: BreakerState,
    /** How long until the breaker half-opens; null when isolated or already half-open. */
    readonly retryAfterMs: number | null,
  ) {
    super(
      `circuit breaker ${breakerName} is ${state}${retryAfterMs === null ? '' : `; half-open in ${retryAfterMs} ms`}`,
    );
  }
}

/** True for a CircuitBreakerError, also one that crossed a thread boundary as a plain `{ code }` object. */
export function isCircuitBreakerError(err: unknown): boolean {
  if (err instanceof CircuitBreakerError) return true;
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CIRCUIT_OPEN';
}

export interface CircuitBreakerOptions {
  /** Shows up in errors, logs and stats. Default `writer`. */
  name?: string;
  /** Trip after this many consecutive counted failures. 0 disables. Default 5. */
  consecutiveFailures?: number;
  /** Trip when failures/calls over the last `windowSize` calls is at least this (0 < x <= 1). Default 0.5. */
  failureRateThreshold?: number;
  /** Number of most recent calls the failure rate is computed over. 0 disables the rate trip. Default 20. */
  windowSize?: number;
  /** The rate trip needs at least this many calls in the window. Default min(10, windowSize). */
  minimumCalls?: number;
  /** First open duration. Default 5000 ms. */
  openMs?: number;
  /** Cap for the open duration, which doubles on each failed half-open. Default 60000 ms. */
  maxOpenMs?: number;
  /** Calls let through in half-open; that many successes close the breaker. Default 1. */
  halfOpenTrials?: number;
  /**
   * A half-open trial whose outcome is not reported within this long counts as a failure (the breaker
   * re-opens), so a lost outcome cannot hold a trial slot and stall half-open forever. Default 30000 ms.
   */
  halfOpenTrialTimeoutMs?: number;
  /** Which errors count as failures. Default `defaultErrorFilter`. */
  errorFilter?: ErrorFilter;
  clock?: Clock;
}

export type OpenReason = 'consecutive-failures' | 'failure-rate' | 'half-open-failure' | 'half-open-timeout';

export interface CircuitBreakerEvents {
  stateChange: [{ from: BreakerState; to: BreakerState; at: number }];
  open: [{ reason: OpenReason; openMs: number; error: unknown }];
  halfOpen: [{ trials: number }];
  close: [];
  reject: [{ state: BreakerState; retryAfterMs: number | null }];
  deferred: [{ count: number; totalDeferred: number; outstanding: number }];
  drained: [{ count: number; totalDrained: number; outstanding: number }];
}

export interface CircuitBreakerStats {
  name: string;
  state: BreakerState;
  /** State-change counter, the same number the shared cell carries. */
  generation: number;
  successes: number;
  /** Failures that counted (passed the error filter). */
  failures: number;
  /** Errors the filter said to ignore (bad data, not a sick database). */
  ignoredErrors: number;
  rejections: number;
  opens: number;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  /** The duration the current (or next) open period lasts. */
  currentOpenMs: number;
  /** Start of the current OPEN/ISOLATED period, epoch ms; null while the gate is not shut. */
  openedAt: number | null;
  /** When the breaker last left CLOSED (kept through half-open and re-opens); null while CLOSED. */
  unhealthySince: number | null;
  /** When the current OPEN period ends (half-open), epoch ms; null otherwise. */
  openUntil: number | null;
  /** Total time spent OPEN or ISOLATED, including the ongoing period. */
  timeInOpenMs: number;
  halfOpenAdmitted: number;
  halfOpenSuccesses: number;
  /** Batches reported deferred/drained through noteDeferred/noteDrained. */
  deferred: number;
  drained: number;
}

function positiveInt(field: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ConfigError(field, v, `expected an integer >= ${min}`);
  return v;
}

export class CircuitBreaker extends EventEmitter<CircuitBreakerEvents> {
  readonly name: string;
  private readonly consecutiveLimit: number;
  private readonly rateThreshold: number;
  private readonly windowSize: number;
  private readonly minimumCalls: number;
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

  // Count window: a ring of the last `windowSize` outcomes (true = failure).
  private readonly ring: boolean[] = [];
  private ringNext = 0;
  private windowFailures = 0;

  private consecutive = 0;
  private halfOpenAdmitted = 0;
  private halfOpenSuccesses = 0;
  /** When the latest half-open trial was let through (epoch ms); null when none is outstanding. */
  private lastTrialAt: number | null = null;
  private readonly trialTimeoutMs: number;
  private generation = 0;
  private counts = { successes: 0, failures: 0, ignoredErrors: 0, rejections: 0, opens: 0, deferred: 0, drained: 0 };

  constructor(options: CircuitBreakerOptions = {}) {
    super();
    this.name = options.name ?? 'writer';
    this.consecutiveLimit = positiveInt('consecutiveFailures', options.consecutiveFailures ?? 5, 0);
    this.windowSize = positiveInt('windowSize', options.windowSize ?? 20, 0);
    this.minimumCalls = positiveInt('minimumCalls', options.minimumCalls ?? Math.min(10, this.windowSize), 0);
    if (this.windowSize > 0 && (this.minimumCalls < 1 || this.minimumCalls > this.windowSize)) {
      throw new ConfigError('minimumCalls', this.minimumCalls, `expected 1..windowSize (${this.windowSize})`);
    }
    this.rateThreshold = options.failureRateThreshold ?? 0.5;
    if (!(this.rateThreshold > 0 && this.rateThreshold <= 1)) {
      throw new ConfigError('failureRateThreshold', this.rateThreshold, 'expected a number in (0, 1]');
    }
    this.baseOpenMs = positiveInt('openMs', options.openMs ?? 5000, 1);
    this.maxOpenMs = positiveInt('maxOpenMs', options.maxOpenMs ?? 60_000, 1);
    if (this.maxOpenMs < this.baseOpenMs) throw new ConfigError('maxOpenMs', this.maxOpenMs, 'expected >= openMs');
    this.halfOpenTrials = positiveInt('halfOpenTrials', options.halfOpenTrials ?? 1, 1);
    this.trialTimeoutMs = positiveInt('halfOpenTrialTimeoutMs', options.halfOpenTrialTimeoutMs ?? 30_000, 1);
    this.errorFilter = options.errorFilter ?? defaultErrorFilter;
    this.clock = options.clock ?? systemClock;
    this.openMs = this.baseOpenMs;
    this.cell = new BreakerStateCell(BreakerState.CLOSED);
    this.log = componentLogger('circuit-breaker', { breaker: this.name });
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
   * Asks to make one call. Every `true` in half-open uses up a trial, so the caller must later report the
   * outcome with recordSuccess/recordFailure. A `false` counts as a rejection.
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
        if (this.halfOpenAdmitted < this.halfOpenTrials) {
          this.halfOpenAdmitted++;
          this.lastTrialAt = this.clock.now();
          return true;
        }
        if (this.lastTrialAt !== null && this.clock.now() - this.lastTrialAt >= this.trialTimeoutMs) {
          this.toOpen(
            'half-open-timeout',
            new Error(`no outcome for a half-open trial within ${this.trialTimeoutMs} ms`),
          );
        }
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

  recordSuccess(): void {
    this.counts.successes++;
    switch (this._state) {
      case BreakerState.CLOSED:
        this.consecutive = 0;
        this.pushOutcome(false);
        break;
      case BreakerState.HALF_OPEN:
        this.consecutive = 0;
        this.halfOpenSuccesses++;
        if (this.halfOpenSuccesses >= this.halfOpenTrials) this.toClosed();
        break;
      default:
        // OPEN/ISOLATED: a late ack for a call admitted before the trip; it proves nothing about now.
        break;
    }
  }

  /** Records a failed call; returns whether the error counted (the filter may say it is a data error). */
  recordFailure(error: unknown): boolean {
    if (!this.isCountedFailure(error)) {
      this.counts.ignoredErrors++;
      // The trial told us nothing about the database: give it back so half-open cannot stall.
      if (this._state === BreakerState.HALF_OPEN && this.halfOpenAdmitted > this.halfOpenSuccesses) {
        this.halfOpenAdmitted--;
      }
      return false;
    }
    this.counts.failures++;
    this.consecutive++;
    switch (this._state) {
      case BreakerState.CLOSED: {
        this.pushOutcome(true);
        if (this.consecutiveLimit > 0 && this.consecutive >= this.consecutiveLimit) {
          this.toOpen('consecutive-failures', error);
        } else if (this.rateTripped()) {
          this.toOpen('failure-rate', error);
        }
        break;
      }
      case BreakerState.HALF_OPEN:
        this.toOpen('half-open-failure', error);
        break;
      default:
        break;
    }
    return true;
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
    const windowCalls = this.ring.length;
    return {
      name: this.name,
      state: this._state,
      generation: this.generation,
      successes: this.counts.successes,
      failures: this.counts.failures,
      ignoredErrors: this.counts.ignoredErrors,
      rejections: this.counts.rejections,
      opens: this.counts.opens,
      consecutiveFailures: this.consecutive,
      windowCalls,
      windowFailures: this.windowFailures,
      currentOpenMs: this.openMs,
      openedAt: this.shutSince,
      unhealthySince: this.unhealthySince,
      openUntil: this.openUntil,
      timeInOpenMs: this.shutTotalMs + (this.shutSince === null ? 0 : now - this.shutSince),
      halfOpenAdmitted: this.halfOpenAdmitted,
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

  private outstanding(): number {
    return Math.max(0, this.counts.deferred - this.counts.drained);
  }

  private retryAfterMs(): number | null {
    if (this._state !== BreakerState.OPEN || this.openUntil === null) return null;
    return Math.max(0, this.openUntil - this.clock.now());
  }

  private rateTripped(): boolean {
    if (this.windowSize === 0) return false;
    const calls = this.ring.length;
    return calls >= this.minimumCalls && this.windowFailures / calls >= this.rateThreshold;
  }

  private pushOutcome(failed: boolean): void {
    if (this.windowSize === 0) return;
    if (this.ring.length < this.windowSize) {
      this.ring.push(failed);
    } else {
      if (this.ring[this.ringNext]) this.windowFailures--;
      this.ring[this.ringNext] = failed;
      this.ringNext = (this.ringNext + 1) % this.windowSize;
    }
    if (failed) this.windowFailures++;
  }

  private resetWindow(): void {
    this.ring.length = 0;
    this.ringNext = 0;
    this.windowFailures = 0;
  }

  private toOpen(reason: OpenReason, error: unknown): void {
    this.clearTimer();
    if (reason === 'half-open-failure' || reason === 'half-open-timeout')
      this.openMs = Math.min(this.openMs * 2, this.maxOpenMs);
    this.openUntil = this.clock.now() + this.openMs;
    this.counts.opens++;
    this.resetWindow();
    this.halfOpenAdmitted = 0;
    this.halfOpenSuccesses = 0;
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
    this.halfOpenAdmitted = 0;
    this.halfOpenSuccesses = 0;
    this.lastTrialAt = null;
    this.log.info({ trials: this.halfOpenTrials }, 'breaker half-open');
    this.transition(BreakerState.HALF_OPEN);
    this.emit('halfOpen', { trials: this.halfOpenTrials });
  }

  private toClosed(): void {
    this.clearTimer();
    this.openUntil = null;
    this.openMs = this.baseOpenMs;
    this.consecutive = 0;
    this.halfOpenAdmitted = 0;
    this.halfOpenSuccesses = 0;
    this.resetWindow();
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
    this.cell.publish(to);
    this.emit('stateChange', { from, to, at });
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
  }
}
