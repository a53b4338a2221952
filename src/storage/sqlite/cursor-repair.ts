// Keeps every pool's cursor (collection_state) on a trade that is stored and not in the future. A cursor write
// names a trade; when that trade was rejected (or is later than the clock allows) the cursor goes to the newest
// stored trade of the pool no later than it instead. At open, cursors already in the future or on a trade that
// is not stored (left by an earlier version) are found and put back the same way.

import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CursorUpdate } from '../../protocol/records.ts';

/** A cursor position: a stored trade's id and its stored block time. */
export interface CursorPosition {
  id: string;
  timestamp: string;
}

/** A cursor found in the future or on an unstored trade, and where it was put back (null: the row was removed). */
export interface RepairedCursor {
  poolId: string;
  from: { id: string | null; timestamp: string | null };
  to: CursorPosition | null;
  reason: 'future' | 'not-stored';
}

/** One warning per cursor put back, with both positions (both writers log what they repaired at open). */
export function logRepairedCursors(log: Logger, repaired: readonly RepairedCursor[]): void {
  for (const r of repaired)
    log.warn(
      { poolId: r.poolId, from: r.from, to: r.to },
      r.reason === 'future'
        ? 'cursor was in the future (beyond the clock-skew allowance): put back on the newest stored trade of its pool'
        : 'cursor named a trade that is not stored: put back on the newest stored trade of its pool',
    );
}

export class CursorGuard {
  private readonly storedTrade: Statement;
  private readonly newestNotAfter: Statement;

  constructor(db: Database) {
    this.storedTrade = db.prepare('SELECT block_timestamp AS timestamp FROM trades WHERE id = ? AND pool_id = ?');
    // (pool_id, block_timestamp) is indexed: one index probe.
    this.newestNotAfter = db.prepare(
      `SELECT id, block_timestamp AS timestamp FROM trades WHERE pool_id = ? AND block_timestamp <= ?
       ORDER BY block_timestamp DESC, id DESC LIMIT 1`,
    );
  }

  /**
   * Where the cursor may go for this update: the named trade when it is stored and not after `latest`, else the
   * newest stored trade of the pool no later than the update's time and `latest`; null when the pool has none.
   * `normalizedTimestamp` is the update's time in the stored format.
   */
  position(c: CursorUpdate, normalizedTimestamp: string, latest: string): CursorPosition | null {
    const row = this.storedTrade.get(c.lastTradeId, c.poolId) as { timestamp: string | null } | undefined;
    if (row?.timestamp && row.timestamp <= latest) return { id: c.lastTradeId, timestamp: row.timestamp };
    return this.newest(c.poolId, normalizedTimestamp < latest ? normalizedTimestamp : latest);
  }

  newest(poolId: string, notAfter: string): CursorPosition | null {
    return (this.newestNotAfter.get(poolId, notAfter) as CursorPosition | undefined) ?? null;
  }
}

/** SQL that lists the cursors in the future (`?` = the latest accepted time): shared with doctor. */
export const FUTURE_CURSORS_SQL = `SELECT pool_id AS poolId, last_trade_id AS id, last_trade_timestamp AS timestamp
  FROM collection_state WHERE last_trade_timestamp > ? ORDER BY pool_id`;

/** SQL that lists the cursors whose trade is not stored: shared with doctor. */
export const UNSTORED_CURSORS_SQL = `SELECT s.pool_id AS poolId, s.last_trade_id AS id, s.last_trade_timestamp AS timestamp
  FROM collection_state s WHERE s.last_trade_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = s.last_trade_id) ORDER BY s.pool_id`;

type CursorRow = { poolId: string; id: string | null; timestamp: string | null };

/**
 * Puts back every cursor in the future (after `latest`) or on a trade that is not stored, in one transaction:
 * to the newest stored trade of its pool no later than `latest` (and than the cursor), or removes the row when
 * there is none (the pool then starts afresh). Returns what it changed.
 */
export function repairCursors(db: Database, latest: string): RepairedCursor[] {
  const hasState = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collection_state'`).get();
  if (!hasState) return [];
  const future = db.prepare(FUTURE_CURSORS_SQL).all(latest) as CursorRow[];
  const unstored = (db.prepare(UNSTORED_CURSORS_SQL).all() as CursorRow[]).filter(
    (r) => !future.some((f) => f.poolId === r.poolId),
  );
  if (future.length === 0 && unstored.length === 0) return [];
  const guard = new CursorGuard(db);
  const move = db.prepare('UPDATE collection_state SET last_trade_id = ?, last_trade_timestamp = ? WHERE pool_id = ?');
  const drop = db.prepare('DELETE FROM collection_state WHERE pool_id = ?');
  const repaired: RepairedCursor[] = [];
  db.transaction(() => {
    for (const [rows, reason] of [
      [future, 'future'],
      [unstored, 'not-stored'],
    ] as const) {
      for (const r of rows) {
        const bound = reason === 'future' || !r.timestamp || r.timestamp > latest ? latest : r.timestamp;
        const to = guard.newest(r.poolId, bound);
        if (to) move.run(to.id, to.timestamp, r.poolId);
        else drop.run(r.poolId);
        repaired.push({ poolId: r.poolId, from: { id: r.id, timestamp: r.timestamp }, to, reason });
      }
    }
  }).immediate();
  return repaired;
}
