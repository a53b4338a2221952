// SQLite's cursors: the guard every cursor write goes through (a cursor names a trade; when that trade was rejected
// or is later than the clock allows, the cursor goes to the newest stored trade of the pool no later than it), and
// the bad cursors the repair rule (storage/cursor-repair.ts) puts back at open or on doctor's demand.

import type { Database, Statement } from 'better-sqlite3';
import type { CursorUpdate } from '../../protocol/records.ts';
import type { BadCursorRow, CursorPosition, CursorRepairStore } from '../cursor-repair.ts';

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

/** SQL that lists the cursors in the future (`?` = the latest accepted time). */
const FUTURE_CURSORS_SQL = `SELECT pool_id AS poolId, last_trade_id AS id, last_trade_timestamp AS timestamp
  FROM collection_state WHERE last_trade_timestamp > ? ORDER BY pool_id`;

/** SQL that lists the cursors whose trade is not stored. */
const UNSTORED_CURSORS_SQL = `SELECT s.pool_id AS poolId, s.last_trade_id AS id, s.last_trade_timestamp AS timestamp
  FROM collection_state s WHERE s.last_trade_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = s.last_trade_id) ORDER BY s.pool_id`;

/** The repair's side on an SQLite connection; its bad cursors come at once (doctor lists them). */
export interface SqliteCursorStore extends CursorRepairStore {
  badCursors(latest: string): BadCursorRow[];
}

export function sqliteCursorStore(db: Database): SqliteCursorStore {
  let guard: CursorGuard | undefined;
  return {
    badCursors(latest) {
      const hasState = db
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collection_state'`)
        .get();
      if (!hasState) return [];
      type Row = Omit<BadCursorRow, 'reason'>;
      const future = db.prepare(FUTURE_CURSORS_SQL).all(latest) as Row[];
      const unstored = (db.prepare(UNSTORED_CURSORS_SQL).all() as Row[]).filter(
        (r) => !future.some((f) => f.poolId === r.poolId),
      );
      return [
        ...future.map((r) => ({ ...r, reason: 'future' as const })),
        ...unstored.map((r) => ({ ...r, reason: 'not-stored' as const })),
      ];
    },
    newest: (poolId, notAfter) => {
      guard ??= new CursorGuard(db);
      return guard.newest(poolId, notAfter);
    },
    move: (poolId, to) =>
      db
        .prepare('UPDATE collection_state SET last_trade_id = ?, last_trade_timestamp = ? WHERE pool_id = ?')
        .run(to.id, to.timestamp, poolId),
    drop: (poolId) => db.prepare('DELETE FROM collection_state WHERE pool_id = ?').run(poolId),
    async transaction(work) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await work();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
  };
}
