// What the main thread hands one collector thread (its pools, cursors, writer link, shared buffers) and what
// it hands back; plus the shared counters and stop flag the two sides read without any message round trip.

import type { MessagePort } from 'node:worker_threads';
import type { BatchConfig, BatchPresetName } from '../config/batch-config.ts';
import type { DatabaseConfig } from '../config/database-config.ts';
import type { LockContentionMetrics } from './lock-contention-metrics.ts';
import type { WriterLink } from './messages.ts';
import type { ScheduleSettings, StoredRate } from './pool-schedule.ts';
import type { ThreadLogLink } from './thread-log-link.ts';

/** Where a pool's collection stands in the database (a `collection_state` row), as read at start. */
export interface StoredCursor {
  lastTradeId: string;
  /** As stored (`2025-08-28 16:15:08.000000`) or ISO; both are UTC. */
  lastTradeTimestamp: string;
}

/** Ids a pool's repeat filter keeps at most, and how far before the cursor stored ids are read back at start. */
export const DEFAULT_MAX_IDS = 4096;
export const DEFAULT_LATE_MARGIN_MS = 60_000;

/** A trade already stored near the cursor: seeds the repeat filter so a restart does not resend it. */
export interface RecentTradeId {
  id: string;
  timestamp: string;
}

export interface PoolAssignment {
  /** Its slot in the run's PoolCounters (see CollectorTask.poolCountersBuffer). */
  index?: number;
  address: string;
  /** `{network}_{address}`, the key of trades.pool_id and collection_state. */
  poolId: string;
  cursor: StoredCursor | null;
  recentIds: RecentTradeId[];
  /** Pools shared through leases: the epoch of the lease this process holds the pool under (fences its cursor). */
  leaseEpoch?: number;
  /** The trade rate estimated when the pool was last polled (collection_state): a resumed pool starts from it. */
  rate?: StoredRate;
  /**
   * Trades/s by the pools endpoint's counters (gecko/pool-counters.ts), read at the start: the adaptive
   * schedule's prior for a pool without a stored rate, until its first answer replaces it.
   */
  priorRate?: number;
}

/**
 * Main thread → collector thread, when pools are shared through leases or the pool set changes while the run
 * goes on: take these pools (their cursors read just now), or stop polling those.
 */
export type PoolControlMessage = { kind: 'assign'; pools: PoolAssignment[] } | { kind: 'revoke'; poolIds: string[] };

/**
 * Collector thread → main thread, after a revoke: no request for these pools is waiting or on the wire any
 * more, so their leases may be given up in the database.
 */
export interface PoolControlReply {
  kind: 'revoked';
  poolIds: string[];
}

/**
 * One Float64 per pool of the run's pool list: the time (performance.timeOrigin + performance.now(), ms) until
 * which this process holds the pool's lease. Written by the main thread at each heartbeat, read by collectors
 * before each poll: a collector never polls a pool past its lease, even when the main thread stalls.
 */
export class PoolLeaseCells {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: Float64Array;

  constructor(poolsOrBuffer: number | SharedArrayBuffer) {
    this.buffer =
      typeof poolsOrBuffer === 'number' ? new SharedArrayBuffer(Math.max(1, poolsOrBuffer) * 8) : poolsOrBuffer;
    this.cells = new Float64Array(this.buffer);
  }

  static now(): number {
    return performance.timeOrigin + performance.now();
  }

  set(slot: number, until: number): void {
    this.cells[slot] = until;
  }

  held(slot: number, at = PoolLeaseCells.now()): boolean {
    return (this.cells[slot] ?? 0) > at;
  }
}
/** Bounds on every API call (GeckoClientOptions of the same names). */
export interface ResponseLimits {
  /** Body bytes, enforced while streaming. */
  maxResponseBytes: number;
  /** One attempt: connect, headers and the whole body. */
  timeoutMs: number;
  /** The longest Retry-After waited for. */
  maxRetryAfterMs: number;
}

export interface CollectorTask {
  collectorId: number;
  network: string;
  pools: PoolAssignment[];
  pollIntervalMs: number;
  /** When each pool is polled (default: fixed at pollIntervalMs). */
  schedule?: ScheduleSettings;
  /** See PoolScheduleCells: every pool's rate and interval, shared by the run's threads. */
  scheduleBuffer?: SharedArrayBuffer;
  minVolumeUsd?: string;
  baseUrl: string;
  /** `SharedRateLimiter.buffer` of the main thread: one call budget for every collector. */
  rateLimiterBuffer: SharedArrayBuffer;
  batch: BatchPresetName | Partial<BatchConfig>;
  /** false (rollback switch): no batch processor, each poll's new trades are stored in one write. Default true. */
  batching?: boolean;
  manager: 'funnel' | 'direct';
  /** Funnel: this collector's own data port to the writer (transferred). */
  link?: WriterLink;
  /** Direct: the database URL (absolute path) this collector opens its own connection to. */
  dbUrl?: string;
  /** Direct: the run's other DatabaseConfig fields (e.g. `pragmas`), so every connection is set up alike. */
  database?: Partial<Omit<DatabaseConfig, 'url'>>;
  /** Unacked batches this collector may have outstanding (DatabaseConfig.maxInFlight). */
  maxInFlight: number;
  /** DatabaseConfig.maxClockSkewMs: a trade later than now + this never becomes a pool's cursor. */
  maxClockSkewMs?: number;
  /** See StopFlag: set once by the main thread to ask every collector to finish. */
  stopBuffer: SharedArrayBuffer;
  /** See CollectorCounters: this collector writes its slot, the main thread sums all slots. */
  countersBuffer: SharedArrayBuffer;
  /** See PoolCounters: this collector writes the slots of its pools (PoolAssignment.index). */
  poolCountersBuffer?: SharedArrayBuffer;
  /** A CoinGecko API key (the paid API): sent in a header, never logged. */
  apiKey?: string;
  /** After a stop, requests already on the wire get this long to finish (their trades were served). */
  stopGraceMs?: number;
  /** This thread's nice value (Linux; see src/common/thread-priority.ts). Default DEFAULT_COLLECTOR_NICE. */
  nice?: number;
  /**
   * Pools shared through leases (PostgreSQL): `pools` starts empty and the main thread assigns and revokes
   * pools on `control` as leases come and go; `cells` holds each pool's lease deadline.
   */
  leases?: { control: MessagePort; cells: SharedArrayBuffer };
  /**
   * A pool set that follows the market or a file (no leases): `pools` is where it starts, and the main thread
   * assigns and revokes pools on this port as the set changes (the same messages as `leases.control`).
   */
  poolControl?: MessagePort;
  /** User-Agent of this collector's API requests. */
  userAgent?: string;
  /** Body size, deadline and Retry-After bounds of this collector's API calls. Default: the client's defaults. */
  responseLimits?: ResponseLimits;
  /** Where and at which level the thread logs (its port goes in the transfer list). */
  log?: ThreadLogLink;
}

export interface CollectorResult {
  collectorId: number;
  counters: CounterSnapshot;
  /** Direct mode only: the collector's own connection's metrics (the funnel's come from the manager). */
  lockMetrics?: LockContentionMetrics;
}

export const COUNTER_NAMES = [
  /** Trade polls attempted. */
  'polls',
  /** HTTP requests sent (retries included), from the client. */
  'requests',
  /** Throttle replies (HTTP 429 or 429 body). */
  'throttled',
  /** Trade polls the API answered with data. */
  'succeeded',
  /** Trades in responses, repeats included. */
  'fetched',
  /** Trades dropped by the overlap filter (seen in an earlier response, or before the cursor). */
  'repeats',
  /** Polls whose response had new trades (each hands them to the store). */
  'pollsWithTrades',
  /** Trade writes the collector sent to the store and saw acked (batches, or one per poll without batching). */
  'tradeWrites',
  /** Cursor/gap writes committed. */
  'stateWrites',
  /** Trades the store inserted (acked). */
  'inserted',
  /** Trades the store already had (acked as duplicates). */
  'storeDuplicates',
  /** Rows the store rejected as invalid. */
  'rejected',
  'gaps',
  /** Malformed response bodies (GeckoTerminalError): an unreadable envelope, the whole page refused. */
  'badResponses',
  /** Trades of readable responses the row checks refused (not stored, counted once each); page-mates went on. */
  'tradesRejected',
  /** Polls that failed (bad bodies included) and batches that could not be stored. */
  'errors',
  /** Trades handed to the batch processor and not yet acked (a gauge). */
  'pendingTrades',
  /** 1 while the collector is polling (a gauge): thread start-up takes a moment. */
  'running',
  /** The HTTP status (401/403) with which the API refused the credentials; 0 while it has not. */
  'authRefused',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type CounterSnapshot = Record<CounterName, number>;

const FIELDS = COUNTER_NAMES.length;
const INDEX = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, i])) as Record<CounterName, number>;

export function emptyCounters(): CounterSnapshot {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as CounterSnapshot;
}

/** Live counters of every collector in one SharedArrayBuffer: each collector owns one slot. */
export class CollectorCounters {
  readonly buffer: SharedArrayBuffer;
  private readonly words: BigInt64Array;

  constructor(collectors: number, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(Math.max(1, collectors) * FIELDS * 8);
    this.words = new BigInt64Array(this.buffer);
  }

  get slots(): number {
    return this.words.length / FIELDS;
  }

  add(slot: number, name: CounterName, n = 1): void {
    if (n !== 0) Atomics.add(this.words, slot * FIELDS + INDEX[name], BigInt(n));
  }

  set(slot: number, name: CounterName, value: number): void {
    Atomics.store(this.words, slot * FIELDS + INDEX[name], BigInt(value));
  }

  read(slot: number): CounterSnapshot {
    const out = emptyCounters();
    for (const name of COUNTER_NAMES) out[name] = Number(Atomics.load(this.words, slot * FIELDS + INDEX[name]));
    return out;
  }

  total(): CounterSnapshot {
    const out = emptyCounters();
    for (let slot = 0; slot < this.slots; slot++) {
      const s = this.read(slot);
      for (const name of COUNTER_NAMES) out[name] += s[name];
    }
    return out;
  }
}

export function sumCounters(list: readonly CounterSnapshot[]): CounterSnapshot {
  const out = emptyCounters();
  for (const s of list) for (const name of COUNTER_NAMES) out[name] += s[name];
  return out;
}

/** Atomics.waitAsync (Node 16+; its type is in ES2024's lib, past this project's target). */
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

/**
 * One shared word every collector watches: the main thread sets it once to ask for a clean stop. A flag,
 * not piscina's abort signal, because piscina aborts a task by terminating its thread (nothing flushed).
 */
export class StopFlag {
  readonly buffer: SharedArrayBuffer;
  private readonly word: Int32Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(4);
    this.word = new Int32Array(this.buffer);
  }

  get stopped(): boolean {
    return Atomics.load(this.word, 0) !== 0;
  }

  stop(): void {
    Atomics.store(this.word, 0, 1);
    Atomics.notify(this.word, 0);
  }

  /**
   * An AbortSignal that fires once the flag is set; dispose stops watching. It waits on the word (stop()
   * notifies it) rather than polling it, and the wait does not keep the thread alive.
   */
  watch(): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    let watching = true;
    const abort = () => {
      if (watching) controller.abort(new Error('collection stopped'));
    };
    const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.word, 0, 0);
    if (wait.async) void wait.value.then(abort);
    else abort();
    return { signal: controller.signal, dispose: () => (watching = false) };
  }
}
