// Trips a closed circuit breaker when the share of failures among its last N calls reaches a threshold.

import { BreakerState } from '../protocol/breaker-gate.ts';
import type { TripReason, TripStrategy } from './trip-strategy.ts';

export class FailureRateTrip implements TripStrategy {
  readonly reason: TripReason = 'failure-rate';
  // Count window: a ring of the last `windowSize` outcomes of calls made while closed (true = failure).
  private readonly ring: boolean[] = [];
  private ringNext = 0;
  private windowFailures = 0;

  /** `windowSize` 0 disables the rule. */
  constructor(
    private readonly windowSize: number,
    private readonly minimumCalls: number,
    private readonly threshold: number,
  ) {}

  /** Calls in the window now. */
  get calls(): number {
    return this.ring.length;
  }

  /** Failures in the window now. */
  get failures(): number {
    return this.windowFailures;
  }

  success(state: BreakerState): void {
    if (state === BreakerState.CLOSED) this.push(false);
  }

  failure(state: BreakerState): boolean {
    if (state !== BreakerState.CLOSED) return false;
    this.push(true);
    if (this.windowSize === 0) return false;
    const calls = this.ring.length;
    return calls >= this.minimumCalls && this.windowFailures / calls >= this.threshold;
  }

  opened(): void {
    this.reset();
  }

  closed(): void {
    this.reset();
  }

  private push(failed: boolean): void {
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

  private reset(): void {
    this.ring.length = 0;
    this.ringNext = 0;
    this.windowFailures = 0;
  }
}
