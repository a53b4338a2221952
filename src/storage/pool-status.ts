// What a status view reads about each collected pool, whichever store holds it: its newest trade, its recent
// trade counts (last 10 minutes, and per hour over the last day), the schedule's interval and rate estimate, and
// its open gaps with their estimated missed trades. Read on a read-only connection (sqlite/pool-status.ts,
// postgres/pool-status.ts), never the writer's.

/** The chart's span: one count per hour, the last 24 hours. */
export const STATUS_HOURS = 24;
/** The span "trades per minute" is counted over. */
export const RECENT_MS = 10 * 60_000;

export interface PoolStatusRow {
  poolId: string;
  /** The pool's name from its metadata, when stored. */
  name: string | null;
  /** Epoch ms of the newest stored trade (block time); null without one. */
  lastTradeMs: number | null;
  /** Epoch ms of the last poll that moved or kept its cursor. */
  lastPolledMs: number | null;
  /** Trades stored with a block time in the last RECENT_MS. */
  recentTrades: number;
  /** The interval the schedule chose (null until a schedule sets it). */
  pollIntervalMs: number | null;
  /** The schedule's estimate of trades a second (null until estimated). */
  tradeRatePerS: number | null;
  /** Gaps not filled. */
  openGaps: number;
  /** Trades the open gaps are estimated to have lost; null when a gap has no estimate. */
  estimatedMissed: number | null;
  /** Trades stored per hour, oldest first, STATUS_HOURS of them; the last is the current hour. */
  hourly: number[];
}

export interface PoolStatusReads {
  readonly engine: 'sqlite' | 'postgres';
  /** Every pool with a cursor, sorted by id, as of `nowMs`. */
  readPools(nowMs: number): Promise<PoolStatusRow[]>;
  close(): Promise<void>;
}

/** The start (epoch ms) of the first chart hour for `nowMs`. */
export function firstChartHourMs(nowMs: number): number {
  return Math.floor(nowMs / 3_600_000) * 3_600_000 - (STATUS_HOURS - 1) * 3_600_000;
}

/** Hourly counts as the chart's array: `counts` are (hour start ms, n) pairs. */
export function hourlyCounts(nowMs: number, counts: Iterable<readonly [number, number]>): number[] {
  const first = firstChartHourMs(nowMs);
  const out = new Array<number>(STATUS_HOURS).fill(0);
  for (const [hourMs, n] of counts) {
    const i = Math.round((hourMs - first) / 3_600_000);
    if (i >= 0 && i < STATUS_HOURS) out[i]! += n;
  }
  return out;
}

/** How long the counts of a pool's past hours are reused before they are read again (late trades, backfills). */
export const PAST_HOURS_REUSE_MS = 5 * 60_000;

/**
 * The hourly counts of past hours, per pool, reused for PAST_HOURS_REUSE_MS: a refresh then reads only the current
 * hour, a short index range, instead of the whole day (the status page asks every few seconds).
 */
export class HourlyCountCache {
  private readonly past = new Map<string, { firstHourMs: number; readAt: number; counts: Map<number, number> }>();

  /** Where a read for `poolId` at `nowMs` must start (epoch ms), and the past hours' counts it may reuse. */
  plan(poolId: string, nowMs: number): { fromMs: number; reuse: Map<number, number> | undefined } {
    const first = firstChartHourMs(nowMs);
    const hit = this.past.get(poolId);
    if (hit && hit.firstHourMs === first && nowMs - hit.readAt < PAST_HOURS_REUSE_MS)
      return { fromMs: first + (STATUS_HOURS - 1) * 3_600_000, reuse: hit.counts };
    return { fromMs: first, reuse: undefined };
  }

  /** The chart for `poolId` from what was read (hour start ms, n), keeping the past hours of a full read. */
  counts(poolId: string, nowMs: number, read: Iterable<readonly [number, number]>): number[] {
    const { reuse } = this.plan(poolId, nowMs);
    const current = firstChartHourMs(nowMs) + (STATUS_HOURS - 1) * 3_600_000;
    const all = new Map(reuse ?? []);
    for (const [h, n] of read) all.set(h, n);
    if (!reuse) {
      const past = new Map([...all].filter(([h]) => h < current));
      this.past.set(poolId, { firstHourMs: firstChartHourMs(nowMs), readAt: nowMs, counts: past });
    }
    return hourlyCounts(nowMs, all);
  }
}
