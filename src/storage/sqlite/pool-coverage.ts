// doctor's per-pool coverage on an SQLite file: the schedule's stored rate and interval, and trades stored and
// estimated missed over the last hour, the last day and the whole history (attachCoverage fills the reports).

import type Database from 'better-sqlite3';
import {
  attachCoverage,
  COVERAGE_SPANS,
  type CoverageGapRow,
  GAP_MISSED,
  type PoolReport,
} from '../doctor-sections.ts';
import { storedTimestamp } from './trade-statements.ts';

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(
    (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name),
  );
}

/** Adds `coverage` to each pool when the file has the schedule's columns (a migrated file); else leaves them. */
export function addPoolCoverage(
  db: Database.Database,
  has: ReadonlySet<string>,
  pools: PoolReport[],
  nowMs: number,
): void {
  if (!has.has('collection_state') || !has.has('collection_gaps') || !has.has('trades')) return;
  if (!columnsOf(db, 'collection_gaps').has('estimated_missed')) return;
  const hour = storedTimestamp(nowMs - COVERAGE_SPANS.lastHour);
  const day = storedTimestamp(nowMs - COVERAGE_SPANS.lastDay);
  const state = db
    .prepare(
      'SELECT pool_id AS poolId, trade_rate_per_s AS rate, rate_observed_at AS at, poll_interval_ms AS interval FROM collection_state',
    )
    .all() as { poolId: string; rate: number | null; at: string | null; interval: number | null }[];
  const trades = db
    .prepare(
      `SELECT pool_id AS poolId, count(*) AS "all", coalesce(sum(block_timestamp >= ?), 0) AS hour,
              coalesce(sum(block_timestamp >= ?), 0) AS day
       FROM trades GROUP BY pool_id`,
    )
    .all(hour, day) as { poolId: string; hour: number; day: number; all: number }[];
  const gaps = db
    .prepare(
      `SELECT pool_id AS poolId,
              coalesce(sum(CASE WHEN gap_end >= @hour THEN missed END), 0) AS hour,
              coalesce(sum(CASE WHEN gap_end >= @day THEN missed END), 0) AS day,
              coalesce(sum(missed), 0) AS "all",
              coalesce(sum(gap_end >= @hour AND missed IS NULL), 0) AS hourNone,
              coalesce(sum(gap_end >= @day AND missed IS NULL), 0) AS dayNone,
              coalesce(sum(missed IS NULL), 0) AS allNone
       FROM (SELECT pool_id, gap_end, ${GAP_MISSED} AS missed FROM collection_gaps) GROUP BY pool_id`,
    )
    .all({ hour, day }) as CoverageGapRow[];
  attachCoverage(pools, { state, trades, gaps });
}
