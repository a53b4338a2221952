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
  /** The schedule's figures and what the pool made as estimated (absent on a database older than them). */
  coverage?: PoolCoverage;
}

/** Trades stored and estimated missed (its gaps' rate × span) over a span of time; made = stored + missed. */
export interface CoverageFigures {
  stored: number;
  missed: number;
  /** Gaps in the span recorded without an estimate (by a build older than the estimates). */
  gapsWithoutEstimate: number;
}

export interface PoolCoverage {
  /** The rate estimated at the last poll (trades/s), when it was estimated, and the interval chosen then. */
  tradeRatePerS: number | null;
  rateObservedAt: string | null;
  pollIntervalMs: number | null;
  /** By block time (trades) and gap end (gaps), against the doctor's clock. */
  lastHour: CoverageFigures;
  lastDay: CoverageFigures;
  all: CoverageFigures;
}

export const COVERAGE_SPANS = { lastHour: 3600_000, lastDay: 86_400_000 } as const;

/**
 * A gap's missed trades in SQL (SQLite and PostgreSQL alike): none once filled, else its estimate less what fills
 * found before they failed; NULL without an estimate.
 */
export const GAP_MISSED = `CASE WHEN filled_at IS NOT NULL THEN 0 WHEN estimated_missed IS NULL THEN NULL
  WHEN estimated_missed > coalesce(filled_trades, 0) THEN estimated_missed - coalesce(filled_trades, 0) ELSE 0 END`;

/** Per pool: its stored rate; trades stored; gaps' estimated missed and gaps without an estimate, per span. */
export interface CoverageRows {
  state: readonly { poolId: string; rate: number | null; at: string | null; interval: number | null }[];
  trades: readonly { poolId: string; hour: number; day: number; all: number }[];
  gaps: readonly CoverageGapRow[];
}

export interface CoverageGapRow {
  poolId: string;
  hour: number;
  day: number;
  all: number;
  hourNone: number;
  dayNone: number;
  allNone: number;
}

/** Fills `pools[i].coverage` from per-pool rows the engines read alike. */
export function attachCoverage(pools: readonly PoolReport[], rows: CoverageRows): void {
  const byId = new Map(pools.map((p) => [p.poolId, p]));
  const empty = (): CoverageFigures => ({ stored: 0, missed: 0, gapsWithoutEstimate: 0 });
  const get = (id: string): PoolCoverage | undefined => {
    const p = byId.get(id);
    if (!p) return undefined;
    p.coverage ??= {
      tradeRatePerS: null,
      rateObservedAt: null,
      pollIntervalMs: null,
      lastHour: empty(),
      lastDay: empty(),
      all: empty(),
    };
    return p.coverage;
  };
  for (const p of pools) get(p.poolId);
  for (const r of rows.state) {
    const c = get(r.poolId);
    if (!c) continue;
    c.tradeRatePerS = r.rate === null ? null : Number(r.rate);
    c.rateObservedAt = r.at;
    c.pollIntervalMs = r.interval === null ? null : Number(r.interval);
  }
  for (const r of rows.trades) {
    const c = get(r.poolId);
    if (!c) continue;
    c.lastHour.stored = Number(r.hour);
    c.lastDay.stored = Number(r.day);
    c.all.stored = Number(r.all);
  }
  for (const r of rows.gaps) {
    const c = get(r.poolId);
    if (!c) continue;
    c.lastHour.missed = Number(r.hour);
    c.lastDay.missed = Number(r.day);
    c.all.missed = Number(r.all);
    c.lastHour.gapsWithoutEstimate = Number(r.hourNone);
    c.lastDay.gapsWithoutEstimate = Number(r.dayNone);
    c.all.gapsWithoutEstimate = Number(r.allNone);
  }
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
