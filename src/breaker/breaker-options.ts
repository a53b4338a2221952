// The circuit breaker's options: what each one means, its default, and the checks that refuse a bad value.

import { type Clock, systemClock } from '../common/clock.ts';
import { defaultErrorFilter, type ErrorFilter } from '../common/error-filter.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';

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
  /**
   * Calls let through in half-open, by every sender of every thread together (trial slots of the shared gate);
   * that many successes close the breaker. Default 1.
   */
  halfOpenTrials?: number;
  /**
   * A half-open trial whose outcome is not reported within this long counts as a failure (the breaker
   * re-opens), so a lost outcome cannot hold a trial slot and stall half-open forever. A trial another thread
   * claimed counts from when the breaker noticed it, at most a quarter of this later. Default 30000 ms.
   */
  halfOpenTrialTimeoutMs?: number;
  /** Which errors count as failures. Default `defaultErrorFilter`. */
  errorFilter?: ErrorFilter;
  clock?: Clock;
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
}

/** Every option with its default applied, checked (the logger aside). */
export type BreakerSettings = Required<Omit<CircuitBreakerOptions, 'logger'>>;

function positiveInt(field: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ConfigError(field, v, `expected an integer >= ${min}`);
  return v;
}

/** Applies the defaults; throws ConfigError for the first option that is out of range. */
export function resolveBreakerOptions(options: CircuitBreakerOptions): BreakerSettings {
  const consecutiveFailures = positiveInt('consecutiveFailures', options.consecutiveFailures ?? 5, 0);
  const windowSize = positiveInt('windowSize', options.windowSize ?? 20, 0);
  const minimumCalls = positiveInt('minimumCalls', options.minimumCalls ?? Math.min(10, windowSize), 0);
  if (windowSize > 0 && (minimumCalls < 1 || minimumCalls > windowSize)) {
    throw new ConfigError('minimumCalls', minimumCalls, `expected 1..windowSize (${windowSize})`);
  }
  const failureRateThreshold = options.failureRateThreshold ?? 0.5;
  if (!(failureRateThreshold > 0 && failureRateThreshold <= 1)) {
    throw new ConfigError('failureRateThreshold', failureRateThreshold, 'expected a number in (0, 1]');
  }
  const openMs = positiveInt('openMs', options.openMs ?? 5000, 1);
  const maxOpenMs = positiveInt('maxOpenMs', options.maxOpenMs ?? 60_000, 1);
  if (maxOpenMs < openMs) throw new ConfigError('maxOpenMs', maxOpenMs, 'expected >= openMs');
  return {
    name: options.name ?? 'writer',
    consecutiveFailures,
    failureRateThreshold,
    windowSize,
    minimumCalls,
    openMs,
    maxOpenMs,
    halfOpenTrials: positiveInt('halfOpenTrials', options.halfOpenTrials ?? 1, 1),
    halfOpenTrialTimeoutMs: positiveInt('halfOpenTrialTimeoutMs', options.halfOpenTrialTimeoutMs ?? 30_000, 1),
    errorFilter: options.errorFilter ?? defaultErrorFilter,
    clock: options.clock ?? systemClock,
  };
}
