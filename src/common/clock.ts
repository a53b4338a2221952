// Time source shared by the circuit breaker and the batch processor, injectable so tests can drive time
// deterministically instead of sleeping.

export type TimerHandle = unknown;

export interface TimerOptions {
  /**
   * false: the timer alone must not keep the process alive (the breaker's open→half-open timer).
   * Default true: timers guarding pending data (flush, retry backoff) must, or a CLI could exit with items unwritten.
   */
  keepAlive?: boolean;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimer(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

// Globals are looked up at call time (not captured at import) so vitest's fake timers also drive the default.
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms, options) {
    const t = setTimeout(fn, ms);
    if (options?.keepAlive === false && typeof t === 'object' && t !== null && 'unref' in t) t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
