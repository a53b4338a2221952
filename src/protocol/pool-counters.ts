// Per-pool figures of a collection run in one SharedArrayBuffer: each pool has a slot, written by the one
// collector thread that polls it and read by the main thread for /metrics and /healthz without a message.
// The label set they are exported with is bounded by the pools a run polls now: a slot a pool gave back (it
// left the set) is cleared before another pool takes it.

export const POOL_COUNTER_NAMES = [
  /** Polls of the pool (each is one trades call, its retries included). */
  'polls',
  /** HTTP requests sent for the pool (retries included). */
  'requests',
  /** Throttle replies (HTTP 429 or a 429 body) to those requests. */
  'throttled',
  /** Polls that failed (network, HTTP error, malformed body) and writes of its trades that failed. */
  'errors',
  /** New trades of the pool committed to the database (acked). */
  'stored',
  /** Trades of the pool's responses the row checks refused, each counted once. */
  'rejected',
  /** Epoch ms of the pool's last successful poll; 0 before the first one. */
  'lastSuccessAt',
  /** Epoch ms of its first successful poll this run; 0 before it. */
  'firstSuccessAt',
  /**
   * From when the first answer held every trade (its oldest trade's ms, the answer full); -1: it was not full, so
   * it held every trade the API keeps; 0 before it.
   */
  'completeFromMs',
] as const;

export type PoolCounterName = (typeof POOL_COUNTER_NAMES)[number];
export type PoolCounterSnapshot = Record<PoolCounterName, number>;

const FIELDS = POOL_COUNTER_NAMES.length;
const INDEX = Object.fromEntries(POOL_COUNTER_NAMES.map((n, i) => [n, i])) as Record<PoolCounterName, number>;

export class PoolCounters {
  readonly buffer: SharedArrayBuffer;
  private readonly words: BigInt64Array;

  constructor(pools: number, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(Math.max(1, pools) * FIELDS * 8);
    this.words = new BigInt64Array(this.buffer);
  }

  get slots(): number {
    return this.words.length / FIELDS;
  }

  add(slot: number, name: PoolCounterName, n = 1): void {
    if (n !== 0) Atomics.add(this.words, slot * FIELDS + INDEX[name], BigInt(n));
  }

  set(slot: number, name: PoolCounterName, value: number): void {
    Atomics.store(this.words, slot * FIELDS + INDEX[name], BigInt(Math.trunc(value)));
  }

  /** A slot back to zero, for the next pool that takes it. */
  clear(slot: number): void {
    for (let i = 0; i < FIELDS; i++) Atomics.store(this.words, slot * FIELDS + i, 0n);
  }

  read(slot: number): PoolCounterSnapshot {
    const out = {} as PoolCounterSnapshot;
    for (const name of POOL_COUNTER_NAMES) out[name] = Number(Atomics.load(this.words, slot * FIELDS + INDEX[name]));
    return out;
  }
}
