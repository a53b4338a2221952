// Per-pool overlap filter and cursor: GeckoTerminal returns the last 300 trades on every poll, so each
// response mostly repeats the previous one. Decides which trades are new, where the cursor moves, and when a
// full response proves trades were missed (a gap).

import { timestampMs } from '../common/stored-time.ts';
import {
  DEFAULT_LATE_MARGIN_MS,
  DEFAULT_MAX_IDS,
  type RecentTradeId,
  type StoredCursor,
} from '../protocol/collector-task.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../trades/trade-validation.ts';

/** GeckoTerminal's trades endpoint never returns more than this. */
export const TRADES_PER_RESPONSE = 300;
/** ...and only trades of the past 24 h. */
export const TRADES_WINDOW_MS = 86_400_000;

export interface TradeWindowOptions {
  cursor?: StoredCursor | null;
  /** Ids already stored at or after `cursor - lateMarginMs` (newest first or any order). */
  recentIds?: readonly RecentTradeId[];
  /** Bound on remembered ids; beyond it the oldest are forgotten and the floor rises to them. Default 4096. */
  maxIds?: number;
  /**
   * Trades up to this much older than the cursor are still accepted when not seen before: an indexer may
   * publish a block a little late. Default 60 s.
   */
  lateMarginMs?: number;
  fullResponseSize?: number;
  windowMs?: number;
  /**
   * A trade later than now + this never becomes the cursor (the writer rejects it too): one far-future trade would
   * otherwise make every later trade of the pool look like a repeat. Default DEFAULT_MAX_CLOCK_SKEW_MS.
   */
  maxClockSkewMs?: number;
}

export interface WindowResult {
  /** Trades not seen before, newest first (as received). */
  fresh: TradeRecord[];
  /** Trades dropped as already seen (or older than the floor). */
  repeats: number;
  gap: GapRecord | null;
  /** The cursor after this response (null while the pool has never had a trade). */
  cursor: CursorUpdate | null;
}

interface Cursor {
  id: string;
  timestamp: string;
  ms: number;
}

export class TradeWindow {
  readonly poolId: string;
  private cursor: Cursor | null;
  /** The cursor whose trades are known to be committed (what a rollback returns to). */
  private committed: Cursor | null;
  /** id → block time (ms), roughly oldest first. */
  private readonly seen = new Map<string, number>();
  /** Trades older than this are repeats whatever `seen` says (their ids may have been forgotten). */
  private floorFromEvictions = Number.NEGATIVE_INFINITY;
  private readonly maxIds: number;
  private readonly lateMarginMs: number;
  private readonly fullSize: number;
  private readonly windowMs: number;
  private readonly maxClockSkewMs: number;

  constructor(poolId: string, options: TradeWindowOptions = {}) {
    this.poolId = poolId;
    this.maxIds = options.maxIds ?? DEFAULT_MAX_IDS;
    this.lateMarginMs = options.lateMarginMs ?? DEFAULT_LATE_MARGIN_MS;
    this.fullSize = options.fullResponseSize ?? TRADES_PER_RESPONSE;
    this.windowMs = options.windowMs ?? TRADES_WINDOW_MS;
    this.maxClockSkewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    const c = options.cursor;
    const ms = c ? timestampMs(c.lastTradeTimestamp) : Number.NaN;
    this.cursor = c && Number.isFinite(ms) ? { id: c.lastTradeId, timestamp: c.lastTradeTimestamp, ms } : null;
    this.committed = this.cursor;
    const recent = (options.recentIds ?? [])
      .map((r) => ({ id: r.id, ms: timestampMs(r.timestamp) }))
      .filter((r) => Number.isFinite(r.ms))
      .sort((a, b) => a.ms - b.ms);
    if (recent.length >= this.maxIds) {
      // The caller's list was cut at the bound: ids older than the oldest it holds are unknown.
      this.floorFromEvictions = recent[recent.length - this.maxIds]!.ms;
    }
    for (const r of recent.slice(-this.maxIds)) this.seen.set(r.id, r.ms);
    if (this.cursor) this.seen.set(this.cursor.id, this.cursor.ms);
  }

  /** The newest accepted trade (possibly not yet committed). */
  get currentCursor(): StoredCursor | null {
    return this.cursor ? { lastTradeId: this.cursor.id, lastTradeTimestamp: this.cursor.timestamp } : null;
  }

  get rememberedIds(): number {
    return this.seen.size;
  }

  private floor(): number {
    const fromCursor = this.cursor ? this.cursor.ms - this.lateMarginMs : Number.NEGATIVE_INFINITY;
    return Math.max(fromCursor, this.floorFromEvictions);
  }

  /**
   * Takes one response (newest first, as the API sends it). `responseSize` is how many trades the response
   * held, refused ones included (default: `trades.length`): a full response proves a gap whatever its rows.
   */
  accept(trades: readonly TradeRecord[], nowMs: number = Date.now(), responseSize = trades.length): WindowResult {
    const floor = this.floor();
    const latestMs = nowMs + this.maxClockSkewMs;
    const fresh: TradeRecord[] = [];
    let repeats = 0;
    let oldestMs = Number.POSITIVE_INFINITY;
    let oldest: TradeRecord | undefined;
    let newest: Cursor | null = null;
    const freshMs: number[] = [];
    for (const t of trades) {
      const ms = timestampMs(t.blockTimestamp);
      if (ms < oldestMs) {
        oldestMs = ms;
        oldest = t;
      }
      if (!(ms >= floor) || this.seen.has(t.id)) {
        repeats++;
        continue;
      }
      fresh.push(t);
      freshMs.push(ms);
      if (ms <= latestMs && (!newest || ms > newest.ms)) newest = { id: t.id, timestamp: t.blockTimestamp, ms };
    }

    // A gap: trades between the cursor and the oldest trade received may exist that no response will ever show.
    // Either the response was full (more than 300 trades since the cursor), or the cursor fell out of the 24 h window.
    // The oldest trade may share the cursor's second (a busy pool's 300 trades can span less than one): the response
    // then reached back only if it holds a trade seen before.
    let gap: GapRecord | null = null;
    const before = this.cursor;
    const reached = oldestMs < (before?.ms ?? 0) || (oldestMs === before?.ms && repeats > 0);
    if (before && oldest && !reached && (responseSize >= this.fullSize || before.ms < nowMs - this.windowMs)) {
      gap = {
        poolId: this.poolId,
        gapStart: before.timestamp,
        gapEnd: oldest.blockTimestamp,
        detectedAt: new Date(nowMs).toISOString(),
        tradesInResponse: responseSize,
      };
    }

    // Remember oldest first so eviction (from the Map's front) forgets the oldest.
    for (let i = fresh.length - 1; i >= 0; i--) this.seen.set(fresh[i]!.id, freshMs[i]!);
    if (newest && (!this.cursor || newest.ms >= this.cursor.ms)) this.cursor = newest;
    this.prune();

    const polledAt = new Date(nowMs).toISOString();
    const cursor: CursorUpdate | null = this.cursor
      ? { poolId: this.poolId, lastTradeId: this.cursor.id, lastTradeTimestamp: this.cursor.timestamp, polledAt }
      : null;
    return { fresh, repeats, gap, cursor };
  }

  /** The trades up to `cursor` are committed: a later rollback returns no further back than this. */
  markCommitted(cursor: CursorUpdate): void {
    const ms = timestampMs(cursor.lastTradeTimestamp);
    if (!this.committed || ms >= this.committed.ms)
      this.committed = { id: cursor.lastTradeId, timestamp: cursor.lastTradeTimestamp, ms };
  }

  /**
   * Some accepted trades could not be stored: forget them and move the cursor back to the last committed
   * one, so the next response offers them again (and a gap is recorded if it no longer reaches back).
   */
  rollback(failedIds: Iterable<string>): void {
    for (const id of failedIds) this.seen.delete(id);
    this.cursor = this.committed;
  }

  private prune(): void {
    const floor = this.floor();
    // Ids below the floor are refused by time anyway.
    for (const [id, ms] of this.seen) {
      if (ms >= floor) break;
      this.seen.delete(id);
    }
    while (this.seen.size > this.maxIds) {
      const first = this.seen.entries().next().value as [string, number];
      this.seen.delete(first[0]);
      // Ties with the forgotten trade's second are let through again: the store drops them by id.
      if (first[1] > this.floorFromEvictions) this.floorFromEvictions = first[1];
    }
  }
}
