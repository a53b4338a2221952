// What a GeckoTerminal client needs from a rate limiter; SharedRateLimiter is the real one, tests may pass
// a counting stub.

export interface RateLimiter {
  /** Resolves when the caller may make one call (one slot consumed); rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<unknown>;
  /** Optional: grant nobody a slot for the next `ms` (the server said "slow down" to all of us). */
  pause?(ms: number): void;
}
