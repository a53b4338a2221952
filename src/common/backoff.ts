// The one exponential backoff with jitter: every retry loop (the API client, batch retries, the writers' lock
// retries, the direct manager, the writer's restarts) waits by it, so many threads never retry in lockstep.

export interface BackoffOptions {
  /** The first step; each attempt doubles it. */
  baseMs: number;
  /** Cap on one step. */
  maxMs: number;
  /** Share of each step that is random (0 = exact doubling); default 0.5, "equal jitter": waits never collapse to zero. */
  jitter?: number;
}

/** The wait before retry `attempt` (0-based): min(maxMs, baseMs × 2^attempt), its `jitter` share scaled by random(). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  const jitter = options.jitter ?? 0.5;
  return Math.round(step * (1 - jitter + jitter * random()));
}
