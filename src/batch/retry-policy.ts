// A batch processor's retry policy: which failures are retried (the caller's shouldRetry hook), and the
// backoff before each retry (doubling from retryDelayMs, capped, with jitter).

import { backoffDelayMs } from '../common/backoff.ts';
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
    // random() 0 removes nothing: the step as it stands.
    return backoffDelayMs(attempt, { baseMs: retryDelayMs, maxMs: maxRetryDelayMs, jitter }, () => 1 - random());
  }
}
