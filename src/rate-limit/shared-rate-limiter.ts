// One call budget for every collector thread together: a GCRA schedule (rate + burst) plus a minimum spacing,
// packed into one 64-bit word of a SharedArrayBuffer so a slot is reserved with a single compareExchange.
// Lock-free on purpose: a worker can be terminated at any instruction, and a dead lock holder would stall all.

import { abortableSleep } from '../common/abortable-sleep.ts';
import { ConfigError } from '../errors.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface SharedRateLimiterOptions {
  /** Calls allowed per minute across all threads (GeckoTerminal's public limit is 30). Resolution 1 ms. */
  callsPerMinute?: number;
  /** Calls that may go out back to back (subject to minSpacingMs) after an idle period. */
  burst?: number;
  /** No two calls are granted closer than this, whatever the burst allows. */
  minSpacingMs?: number;
}

export interface SharedRateLimiterLocalOptions {
  /** Absolute milliseconds, comparable across threads. Injectable for tests. */
  clock?: () => number;
}

/** The settings as stored in the shared buffer: what another thread gets from `fromShared`. */
export interface SharedRateLimiterSettings {
  intervalMs: number;
  burst: number;
  minSpacingMs: number;
}

export const DEFAULT_RATE_LIMIT: Required<SharedRateLimiterOptions> = {
  callsPerMinute: 30,
  burst: 1,
  minSpacingMs: 1000,
};

// Word layout of the BigInt64Array over the buffer.
const STATE = 0; // (theoretical arrival time << DELTA_BITS) | (TAT - last grant), both ms since EPOCH
const EPOCH = 1; // absolute ms the relative times count from
const INTERVAL = 2;
const BURST = 3;
const MIN_SPACING = 4;
const MAGIC = 5;
const GRANTS = 6;
const WORDS = 8;
const MAGIC_VALUE = 0x6765636b6f524cn; // "geckoRL"

const DELTA_BITS = 23n;
const DELTA_MASK = (1n << DELTA_BITS) - 1n;
const MAX_DELTA = Number(DELTA_MASK);
// TAT gets the upper 40 bits: ~34 years of milliseconds after the epoch.
const MAX_TAT = 2 ** 40 - 1;

const defaultClock = (): number => performance.timeOrigin + performance.now();

function pack(tat: number, delta: number): bigint {
  return (BigInt(tat) << DELTA_BITS) | BigInt(delta);
}

function settingsFrom(options: SharedRateLimiterOptions): SharedRateLimiterSettings {
  const callsPerMinute = options.callsPerMinute ?? DEFAULT_RATE_LIMIT.callsPerMinute;
  const burst = options.burst ?? DEFAULT_RATE_LIMIT.burst;
  const minSpacingMs = options.minSpacingMs ?? DEFAULT_RATE_LIMIT.minSpacingMs;
  if (!(Number.isFinite(callsPerMinute) && callsPerMinute > 0 && callsPerMinute <= 60_000)) {
    throw new ConfigError('callsPerMinute', callsPerMinute, 'must be a number in (0, 60000] (1 ms resolution)');
  }
  if (!(Number.isSafeInteger(burst) && burst >= 1)) throw new ConfigError('burst', burst, 'must be an integer >= 1');
  if (!(Number.isSafeInteger(minSpacingMs) && minSpacingMs >= 0)) {
    throw new ConfigError('minSpacingMs', minSpacingMs, 'must be an integer number of milliseconds >= 0');
  }
  // Rounding the interval up keeps the limit a limit.
  const intervalMs = Math.ceil(60_000 / callsPerMinute);
  if (burst * intervalMs + minSpacingMs > MAX_DELTA) {
    throw new ConfigError('burst', burst, `burst x interval + minSpacingMs must stay under ${MAX_DELTA} ms`);
  }
  return { intervalMs, burst, minSpacingMs };
}

export class SharedRateLimiter implements RateLimiter {
  /** Pass this (with nothing else) to other threads; `fromShared(buffer)` there joins the same budget. */
  readonly buffer: SharedArrayBuffer;
  readonly settings: SharedRateLimiterSettings;
  private readonly words: BigInt64Array;
  private readonly epoch: number;
  private readonly tolerance: number;
  private readonly clock: () => number;

  /** Creates a new budget (in the main thread). `shared` is for `fromShared` only. */
  constructor(options: SharedRateLimiterOptions & SharedRateLimiterLocalOptions = {}, shared?: SharedArrayBuffer) {
    this.clock = options.clock ?? defaultClock;
    if (shared) {
      this.buffer = shared;
      this.words = new BigInt64Array(shared, 0, WORDS);
      this.settings = {
        intervalMs: Number(Atomics.load(this.words, INTERVAL)),
        burst: Number(Atomics.load(this.words, BURST)),
        minSpacingMs: Number(Atomics.load(this.words, MIN_SPACING)),
      };
      this.epoch = Number(Atomics.load(this.words, EPOCH));
    } else {
      this.settings = settingsFrom(options);
      this.buffer = new SharedArrayBuffer(WORDS * 8);
      this.words = new BigInt64Array(this.buffer);
      this.epoch = Math.floor(this.clock());
      Atomics.store(this.words, EPOCH, BigInt(this.epoch));
      Atomics.store(this.words, INTERVAL, BigInt(this.settings.intervalMs));
      Atomics.store(this.words, BURST, BigInt(this.settings.burst));
      Atomics.store(this.words, MIN_SPACING, BigInt(this.settings.minSpacingMs));
      // "Last grant" starts one spacing before the epoch so the very first call goes at once.
      Atomics.store(this.words, STATE, pack(0, this.settings.minSpacingMs));
      Atomics.store(this.words, MAGIC, MAGIC_VALUE);
    }
    this.tolerance = (this.settings.burst - 1) * this.settings.intervalMs;
  }

  /** Joins, in this thread, the limiter whose `buffer` another thread created. */
  static fromShared(buffer: SharedArrayBuffer, local: SharedRateLimiterLocalOptions = {}): SharedRateLimiter {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < WORDS * 8) {
      throw new ConfigError('buffer', typeof buffer, 'must be the SharedArrayBuffer of a SharedRateLimiter');
    }
    if (Atomics.load(new BigInt64Array(buffer, 0, WORDS), MAGIC) !== MAGIC_VALUE) {
      throw new ConfigError('buffer', `${buffer.byteLength} bytes`, 'is not a SharedRateLimiter buffer');
    }
    return new SharedRateLimiter({ clock: local.clock }, buffer);
  }

  /**
   * Reserves the next slot and waits (timer, no spinning) until it comes. Resolves with the slot's absolute
   * time in ms. An aborted wait leaves its slot unused: the budget errs on the side of fewer calls.
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const slot = this.reserve();
    for (let wait = slot - this.clock(); wait > 0; wait = slot - this.clock()) {
      await abortableSleep(Math.ceil(wait), signal);
    }
    return slot;
  }

  /** No thread is granted a slot before `ms` from now (e.g. after a 429 with Retry-After). */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    const until = Math.min(MAX_TAT, Math.ceil(this.relativeNow() + ms));
    for (;;) {
      const old = Atomics.load(this.words, STATE);
      const tat = Number(old >> DELTA_BITS);
      const last = tat - Number(old & DELTA_MASK);
      const nextTat = Math.max(tat, until + this.tolerance);
      const nextLast = Math.max(last, until - this.settings.minSpacingMs);
      if (Atomics.compareExchange(this.words, STATE, old, pack(nextTat, nextTat - nextLast)) === old) return;
    }
  }

  /**
   * A low-priority slot: taken (true) only when the budget has gone unused for `idleIntervals` intervals, so work
   * that may wait (a gap fill) spends what live polls leave and never queues ahead of them. Never waits.
   */
  trySpare(idleIntervals = 2): boolean {
    const { intervalMs, minSpacingMs } = this.settings;
    for (;;) {
      const old = Atomics.load(this.words, STATE);
      const tat = Number(old >> DELTA_BITS);
      const last = tat - Number(old & DELTA_MASK);
      const now = Math.ceil(this.relativeNow());
      if (tat + (idleIntervals - 1) * intervalMs > now || last + minSpacingMs > now) return false;
      const nextTat = now + intervalMs;
      if (Atomics.compareExchange(this.words, STATE, old, pack(nextTat, nextTat - now)) === old) {
        Atomics.add(this.words, GRANTS, 1n);
        return true;
      }
    }
  }

  /** Slots granted so far, by all threads. */
  grants(): number {
    return Number(Atomics.load(this.words, GRANTS));
  }

  private relativeNow(): number {
    return Math.max(0, this.clock() - this.epoch);
  }

  /** How long from now a slot reserved now would be granted (0: at once); nothing is reserved. */
  msToNextSlot(): number {
    const old = Atomics.load(this.words, STATE);
    const tat = Number(old >> DELTA_BITS);
    const now = this.relativeNow();
    return this.grantAt(now, tat, tat - Number(old & DELTA_MASK)) - now;
  }

  /** When a slot asked for at `now` is granted, given the state's theoretical arrival time and last grant. */
  private grantAt(now: number, tat: number, last: number): number {
    return Math.max(now, tat - this.tolerance, last + this.settings.minSpacingMs);
  }

  /**
   * Takes the next slot without waiting and returns its absolute time (ms); the caller must not call before
   * then. `acquire` is this plus the wait.
   */
  reserve(): number {
    const { intervalMs } = this.settings;
    for (;;) {
      const old = Atomics.load(this.words, STATE);
      const tat = Number(old >> DELTA_BITS);
      const last = tat - Number(old & DELTA_MASK);
      const now = Math.ceil(this.relativeNow());
      const grant = this.grantAt(now, tat, last);
      const nextTat = Math.max(tat, grant) + intervalMs;
      if (nextTat > MAX_TAT) throw new RangeError('SharedRateLimiter epoch exhausted (more than 34 years old)');
      if (Atomics.compareExchange(this.words, STATE, old, pack(nextTat, nextTat - grant)) === old) {
        Atomics.add(this.words, GRANTS, 1n);
        return this.epoch + grant;
      }
    }
  }
}
