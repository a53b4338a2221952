// Which pools to collect and where each one stands: parses pool lists, reads every pool's cursor (and the ids
// stored near it, so a restart resends nothing) from the database, and deals the pools out to collectors.

import type { Database, Statement } from 'better-sqlite3';
import { DEFAULT_LATE_MARGIN_MS, DEFAULT_MAX_IDS, timestampMs } from '../collector/trade-window.ts';
import { ConfigError } from '../errors.ts';
import { poolIdOf } from '../gecko/trade-parser.ts';
import type { PoolAssignment, RecentTradeId, StoredCursor } from '../protocol/collector-task.ts';
import { storedTimestamp } from '../storage/sqlite/trade-statements.ts';

const ADDRESS = /^[^\s/?#,]+$/;

/** Checks and de-duplicates pool addresses (order kept). */
export function normalizePoolAddresses(addresses: readonly string[], field = 'pools'): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of addresses) {
    const a = raw.trim();
    if (a === '') continue;
    if (!ADDRESS.test(a))
      throw new ConfigError(field, a, 'a pool address must not contain spaces, "/", "?", "#" or ","');
    if (seen.has(a)) continue;
    seen.add(a);
    out.push(a);
  }
  return out;
}

/** A pools file: one address per line; `#` starts a comment; blank lines ignored. */
export function parsePoolsFile(text: string, field = 'pools-file'): string[] {
  const lines = text.split(/\r?\n/).map((line) => {
    const hash = line.indexOf('#');
    return (hash >= 0 ? line.slice(0, hash) : line).trim();
  });
  return normalizePoolAddresses(lines, field);
}

export interface LoadAssignmentsOptions {
  lateMarginMs?: number;
  maxIds?: number;
}

/** Each pool's cursor and the ids stored at or after `cursor - lateMarginMs` (bounded), from a read connection. */
export function loadPoolAssignments(
  db: Database,
  network: string,
  addresses: readonly string[],
  options: LoadAssignmentsOptions = {},
): PoolAssignment[] {
  const margin = options.lateMarginMs ?? DEFAULT_LATE_MARGIN_MS;
  const maxIds = options.maxIds ?? DEFAULT_MAX_IDS;
  const cursorStmt = db.prepare('SELECT last_trade_id, last_trade_timestamp FROM collection_state WHERE pool_id = ?');
  const recentStmt = db.prepare(
    'SELECT id, block_timestamp FROM trades WHERE pool_id = ? AND block_timestamp >= ? ORDER BY block_timestamp DESC LIMIT ?',
  );
  return addresses.map((address) => {
    const poolId = poolIdOf(network, address);
    const row = cursorStmt.get(poolId) as
      | { last_trade_id: string | null; last_trade_timestamp: string | null }
      | undefined;
    let cursor: StoredCursor | null = null;
    let recentIds: RecentTradeId[] = [];
    const ms = row?.last_trade_timestamp ? timestampMs(row.last_trade_timestamp) : Number.NaN;
    if (row?.last_trade_id && row.last_trade_timestamp && Number.isFinite(ms)) {
      cursor = { lastTradeId: row.last_trade_id, lastTradeTimestamp: row.last_trade_timestamp };
      const rows = recentStmt.all(poolId, storedTimestamp(ms - margin), maxIds) as {
        id: string;
        block_timestamp: string;
      }[];
      recentIds = rows.map((r) => ({ id: r.id, timestamp: r.block_timestamp }));
    }
    return { address, poolId, cursor, recentIds };
  });
}

/** Round-robin into at most `collectors` non-empty groups. */
export function distributePools<T>(pools: readonly T[], collectors: number): T[][] {
  const n = Math.max(1, Math.min(collectors, pools.length));
  const groups: T[][] = Array.from({ length: n }, () => []);
  pools.forEach((p, i) => groups[i % n]!.push(p));
  return groups.filter((g) => g.length > 0);
}

/** How many of `ids` the trades table holds; with `maxRowid`, only rows at or below that rowid count. */
export function countStoredIds(db: Database, ids: Iterable<string>, maxRowid?: number): number {
  const all = [...ids];
  const CHUNK = 500;
  let found = 0;
  const byLength = new Map<number, Statement<(string | number)[], { n: number }>>();
  const below = maxRowid === undefined ? '' : ' AND rowid <= ?';
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK);
    let stmt = byLength.get(chunk.length);
    if (!stmt) {
      stmt = db.prepare<(string | number)[], { n: number }>(
        `SELECT count(*) AS n FROM trades WHERE id IN (${chunk.map(() => '?').join(',')})${below}`,
      );
      byLength.set(chunk.length, stmt);
    }
    found += (maxRowid === undefined ? stmt.get(...chunk) : stmt.get(...chunk, maxRowid))?.n ?? 0;
  }
  return found;
}

/**
 * The highest rowid in the trades table (0 when empty). SQLite gives a new row the largest rowid so far plus
 * one, and trades are never deleted here, so rows at or below a mark taken before a run predate that run.
 */
export function tradesRowidMark(db: Database): number {
  return (db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM trades').get() as { m: number }).m;
}
