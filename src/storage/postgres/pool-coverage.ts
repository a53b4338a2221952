// doctor's per-pool coverage on PostgreSQL: the schedule's stored rate and interval, and trades stored and
// estimated missed over the last hour, the last day and the whole history (attachCoverage fills the reports).

import type pg from 'pg';
import {
  attachCoverage,
  COVERAGE_SPANS,
  type CoverageGapRow,
  GAP_MISSED,
  type PoolReport,
} from '../doctor-sections.ts';
import { storedText } from './trade-statements.ts';

/** The schema step that added the schedule's columns. */
export const COVERAGE_SCHEMA_VERSION = 4;

/** Adds `coverage` to each pool, inside the caller's read transaction. */
export async function addPoolCoverage(c: pg.ClientBase, pools: PoolReport[]): Promise<void> {
  const spans = [COVERAGE_SPANS.lastHour, COVERAGE_SPANS.lastDay];
  const state = (
    await c.query<{ poolId: string; rate: number | null; at: string | null; interval: number | null }>(
      `SELECT pool_id AS "poolId", trade_rate_per_s AS rate, ${storedText('rate_observed_at')} AS at,
              poll_interval_ms AS interval FROM collection_state`,
    )
  ).rows;
  const since = `now() - $1::int * interval '1 millisecond'`;
  const sinceDay = `now() - $2::int * interval '1 millisecond'`;
  const trades = (
    await c.query<{ poolId: string; hour: number; day: number; all: number }>(
      `SELECT pool_id AS "poolId", count(*)::float8 AS "all",
              count(*) FILTER (WHERE block_timestamp >= ${since})::float8 AS hour,
              count(*) FILTER (WHERE block_timestamp >= ${sinceDay})::float8 AS day
       FROM trades GROUP BY pool_id`,
      spans,
    )
  ).rows;
  const gaps = (
    await c.query<CoverageGapRow>(
      `SELECT pool_id AS "poolId",
              coalesce(sum(missed) FILTER (WHERE gap_end >= ${since}), 0) AS hour,
              coalesce(sum(missed) FILTER (WHERE gap_end >= ${sinceDay}), 0) AS day,
              coalesce(sum(missed), 0) AS "all",
              count(*) FILTER (WHERE gap_end >= ${since} AND missed IS NULL)::float8 AS "hourNone",
              count(*) FILTER (WHERE gap_end >= ${sinceDay} AND missed IS NULL)::float8 AS "dayNone",
              count(*) FILTER (WHERE missed IS NULL)::float8 AS "allNone"
       FROM (SELECT pool_id, gap_end, ${GAP_MISSED} AS missed FROM collection_gaps) g GROUP BY pool_id`,
      spans,
    )
  ).rows;
  attachCoverage(pools, { state, trades, gaps });
}
