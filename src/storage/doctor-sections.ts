// What doctor reads of a store, the same shape on both engines: each pool's trades, cursor and gaps, the newest
// gaps, the cursors to repair. Each engine's doctor-sections.ts reads them (with its own sections besides) in one
// snapshot; src/doctor/ adds the files a run leaves beside the store and renders the report.

export interface PoolCursor {
  lastTradeId: string | null;
  lastTradeTimestamp: string | null;
  lastPolledAt: string | null;
  updatedAt: string | null;
}

export interface PoolReport {
  poolId: string;
  /** From `collection_state`; null when the collector keeps no cursor for the pool. */
  cursor: PoolCursor | null;
  /** Newest `block_timestamp` stored for the pool (as stored: UTC `YYYY-MM-DD HH:MM:SS.ffffff`). */
  lastTradeTimestamp: string | null;
  tradeCount: number;
  gapCount: number;
}

export interface GapReport {
  id: number;
  poolId: string;
  gapStart: string;
  gapEnd: string;
  detectedAt: string;
  tradesInResponse: number;
  /** When a backfill filled it (null: open); absent on a store from before gap fills. */
  filledAt?: string | null;
}

export interface GapsReport {
  count: number;
  /** Of them, not filled yet; absent on a store from before gap fills. */
  open?: number;
  /** Newest first, at most the requested number. */
  latest: GapReport[];
}

/** A pool's membership of the pool set (pool_membership): when it joined and, once it left, when. */
export interface MembershipReport {
  poolId: string;
  source: string;
  /** As stored (UTC `YYYY-MM-DD HH:MM:SS.ffffff`). */
  joinedAt: string;
  leftAt: string | null;
}

/** The latest changes first, at most this many listed. */
export const MEMBERSHIP_LIMIT = 25;

export interface BadCursor {
  poolId: string;
  lastTradeId: string | null;
  lastTradeTimestamp: string | null;
  problem: 'future' | 'not-stored';
}

export interface DoctorSectionsOptions {
  /** How many of the newest gaps to list (default 10). */
  gapLimit?: number;
  /** SQLite: PRAGMA quick_check instead of the full integrity_check (much faster on a big file). */
  quick?: boolean;
}
