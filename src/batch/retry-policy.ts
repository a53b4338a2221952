// A batch processor's retry policy: which failures are retried (the caller's shouldRetry hook), and the
// backoff before each retry (doubling from retryDelayMs, capped, with jitter).

import type { Logger } from '../logging/logger.ts';

export interface RetryPolicyOptions {
  /** The first retry's nominal delay; each further one doubles it. */
  retryDelayMs: number;
  /** Cap on one retry delay. */
  maxRetryDelayMs: number;
  /** Fraction of each delay that is randomized away (0 = exact doubling). */
  jitter: number;
  /** Uniform [0, 1) source for jitter. */
  random: () => number;
  /** false: give up on this error at once. Absent: retry everything. */
  shouldRetry?: ((error: unknown, attempt: number) => boolean) | undefined;
}

export class RetryPolicy {
  constructor(
    private readonly options: RetryPolicyOptions,
    private readonly log: Logger,
  ) {}

  /** Whether a failure is worth retrying at all; a throwing hook means no (and is logged). */
  retryable(err: unknown, attempt: number): boolean {
    const { shouldRetry } = this.options;
    if (!shouldRetry) return true;
    try {
      return shouldRetry(err, attempt);
    } catch (hookErr) {
      this.log.error({ err: hookErr }, 'shouldRetry hook threw; not retrying');
      return false;
    }
  }

  /** retryDelayMs × 2^attempt, capped, minus a random share of up to `jitter` of it. */
  delay(attempt: number): number {
    const { retryDelayMs, maxRetryDelayMs, jitter, random } = this.options;
    const nominal = Math.min(retryDelayMs * 2 ** attempt, maxRetryDelayMs);
    return Math.round(nominal * (1 - jitter * random()));
  }
}
