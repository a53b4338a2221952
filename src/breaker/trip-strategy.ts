// The interface every rule that trips a closed circuit breaker implements; the breaker's state machine (half-open
// trials, open durations, isolation) stays in CircuitBreaker and only asks each rule whether to trip.

import type { BreakerState } from '../protocol/breaker-gate.ts';

/** Why a closed breaker opened: the strategy that tripped it. */
export type TripReason = 'consecutive-failures' | 'failure-rate';

export interface TripStrategy {
  /** The reason the breaker opens with when this strategy trips. */
  readonly reason: TripReason;
  /** A counted success, reported in whatever state the breaker is in. */
  success(state: BreakerState): void;
  /** A counted failure, reported in whatever state the breaker is in; true when a closed breaker must trip. */
  failure(state: BreakerState): boolean;
  /** The breaker has just opened. */
  opened(): void;
  /** The breaker has just closed (after half-open trials, or released from isolation): start over. */
  closed(): void;
}
