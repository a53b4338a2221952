// doctor's collection-health sections on an SQLite file: per pool (trades, newest trade, cursor, gaps) and the
// newest gaps, each read only from the tables the file has.

import type Database from 'better-sqlite3';
import type { GapReport, GapsReport, PoolReport } from '../doctor-sections.ts';

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(
    (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name),
  );
}

export function poolReports(db: Database.Database, has: Set<string>, notes: string[]): PoolReport[] {
  const pools = new Map<string, PoolReport>();
  const pool = (poolId: string): PoolReport => {
    let p = pools.get(poolId);
    if (!p) {
      p = { poolId, cursor: null, lastTradeTimestamp: null, tradeCount: 0, gapCount: 0 };
      pools.set(poolId, p);
    }
    return p;
  };
  if (has.has('trades')) {
    const cols = columnsOf(db, 'trades');
    if (cols.has('pool_id')) {
      const last = cols.has('block_timestamp') ? 'max(block_timestamp)' : 'NULL';
      // GROUP BY pool_id walks the (pool_id, block_timestamp) index when the collector has added it.
      const rows = db
        .prepare(`SELECT pool_id AS poolId, count(*) AS n, ${last} AS last FROM trades GROUP BY pool_id`)
        .all() as {
        poolId: unknown;
        n: number;
        last: unknown;
      }[];
      for (const r of rows) {
        const p = pool(String(r.poolId));
        p.tradeCount = r.n;
        p.lastTradeTimestamp = r.last === null ? null : String(r.last);
      }
    }
  }
  if (has.has('collection_state')) {
    const rows = db
      .prepare('SELECT pool_id, last_trade_id, last_trade_timestamp, last_polled_at, updated_at FROM collection_state')
      .all() as {
      pool_id: string;
      last_trade_id: string | null;
      last_trade_timestamp: string | null;
      last_polled_at: string | null;
      updated_at: string | null;
    }[];
    for (const r of rows) {
      pool(r.pool_id).cursor = {
        lastTradeId: r.last_trade_id,
        lastTradeTimestamp: r.last_trade_timestamp,
        lastPolledAt: r.last_polled_at,
        updatedAt: r.updated_at,
      };
    }
  } else if (has.has('trades')) {
    notes.push('no collection_state table: no per-pool cursors yet (the collector creates it)');
  }
  if (has.has('collection_gaps')) {
    const rows = db.prepare('SELECT pool_id AS poolId, count(*) AS n FROM collection_gaps GROUP BY pool_id').all() as {
      poolId: string;
      n: number;
    }[];
    for (const r of rows) pool(r.poolId).gapCount = r.n;
  }
  return [...pools.values()].sort((a, b) => (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0));
}

export function gapsReport(db: Database.Database, has: Set<string>, limit: number): GapsReport {
  if (!has.has('collection_gaps')) return { count: 0, latest: [] };
  const count = (db.prepare('SELECT count(*) AS n FROM collection_gaps').get() as { n: number }).n;
  const fills = db.prepare(`SELECT 1 FROM pragma_table_info('collection_gaps') WHERE name = 'filled_at'`).get();
  const latest = db
    .prepare(
      `SELECT id, pool_id AS poolId, gap_start AS gapStart, gap_end AS gapEnd, detected_at AS detectedAt, trades_in_response AS tradesInResponse${fills ? ', filled_at AS filledAt' : ''}
       FROM collection_gaps ORDER BY detected_at DESC, id DESC LIMIT ?`,
    )
    .all(limit) as GapReport[];
  if (!fills) return { count, latest };
  const open = db.prepare('SELECT count(*) FROM collection_gaps WHERE filled_at IS NULL').pluck().get() as number;
  return { count, open, latest };
}
