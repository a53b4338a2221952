// What a circuit breaker reports: the events it emits on each transition (and on rejections, deferrals and
// drains) and its stats, as /metrics, doctor and the alerts read them.

import type { BreakerState } from '../protocol/breaker-gate.ts';
import type { TripReason } from './trip-strategy.ts';

export type OpenReason = TripReason | 'half-open-failure' | 'half-open-timeout';

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
