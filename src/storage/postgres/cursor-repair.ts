// PostgreSQL's side of the cursor-repair rule (storage/cursor-repair.ts): the bad cursors in one statement, and
// each one moved or removed on the writer's connection.

import type pg from 'pg';
import type { BadCursorRow, CursorPosition, CursorRepairStore } from '../cursor-repair.ts';
import { storedText } from './trade-statements.ts';

/** Cursors to put back ($1 = the latest accepted time): shared with doctor. */
export const PG_BAD_CURSORS_SQL = `SELECT s.pool_id AS "poolId", s.last_trade_id AS id,
  ${storedText('s.last_trade_timestamp')} AS timestamp,
  CASE WHEN s.last_trade_timestamp > $1::timestamptz THEN 'future' ELSE 'not-stored' END AS reason
FROM collection_state s
WHERE s.last_trade_timestamp > $1::timestamptz
   OR (s.last_trade_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = s.last_trade_id))
ORDER BY s.pool_id`;

/** The repair's side on a PostgreSQL connection. */
export function pgCursorStore(client: pg.Client): CursorRepairStore {
  return {
    badCursors: async (latest) => (await client.query<BadCursorRow>(PG_BAD_CURSORS_SQL, [latest])).rows,
    newest: async (poolId, notAfter) =>
      (
        await client.query<CursorPosition>(
          `SELECT id, ${storedText('block_timestamp')} AS timestamp FROM trades
           WHERE pool_id = $1 AND block_timestamp <= $2::timestamptz ORDER BY block_timestamp DESC, id DESC LIMIT 1`,
          [poolId, notAfter],
        )
      ).rows[0] ?? null,
    move: (poolId, to) =>
      client.query(
        'UPDATE collection_state SET last_trade_id = $2, last_trade_timestamp = $3::timestamptz, updated_at = now() WHERE pool_id = $1',
        [poolId, to.id, to.timestamp],
      ),
    drop: (poolId) => client.query('DELETE FROM collection_state WHERE pool_id = $1', [poolId]),
    async transaction(work) {
      await client.query('BEGIN');
      try {
        const out = await work();
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
  };
}
