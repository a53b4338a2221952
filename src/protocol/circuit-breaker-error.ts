// The error a circuit breaker raises instead of running a call, and how to recognise it after it crossed a thread.

import { GeckoCollectorError } from '../errors.ts';
import type { BreakerState } from './breaker-gate.ts';

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
