// Trips a closed circuit breaker after N counted failures in a row.

import { BreakerState } from '../protocol/breaker-gate.ts';
import type { TripReason, TripStrategy } from './trip-strategy.ts';

export class ConsecutiveFailuresTrip implements TripStrategy {
  readonly reason: TripReason = 'consecutive-failures';
  /** Counted failures since the last success seen while closed or half-open (reported in the breaker's stats). */
  count = 0;

  /** `limit` 0 never trips (the count still runs, for the stats). */
  constructor(private readonly limit: number) {}

  success(state: BreakerState): void {
    // A late ack while open or isolated was admitted before the trip: it proves nothing about now.
    if (state === BreakerState.CLOSED || state === BreakerState.HALF_OPEN) this.count = 0;
  }

  failure(state: BreakerState): boolean {
    this.count++;
    return state === BreakerState.CLOSED && this.limit > 0 && this.count >= this.limit;
  }

  opened(): void {}

  closed(): void {
    this.count = 0;
  }
}
