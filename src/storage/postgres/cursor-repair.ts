// PostgreSQL's side of cursor-guard.ts: at open, cursors in the future (beyond the clock-skew allowance) or on a
// trade that is not stored are put back on the newest stored trade of their pool no later than the allowance
// (and than the cursor), or removed when the pool has none; one statement each, in one transaction.

import type pg from 'pg';
import type { RepairedCursor } from '../sqlite/cursor-repair.ts';
import { storedText } from './trade-statements.ts';

/** Cursors to put back ($1 = the latest accepted time): shared with doctor. */
export const PG_BAD_CURSORS_SQL = `SELECT s.pool_id AS "poolId", s.last_trade_id AS id,
  ${storedText('s.last_trade_timestamp')} AS timestamp,
  CASE WHEN s.last_trade_timestamp > $1::timestamptz THEN 'future' ELSE 'not-stored' END AS reason
FROM collection_state s
WHERE s.last_trade_timestamp > $1::timestamptz
   OR (s.last_trade_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = s.last_trade_id))
ORDER BY s.pool_id`;

export async function repairPgCursors(client: pg.Client, latest: string): Promise<RepairedCursor[]> {
  const { rows } = await client.query<
    Omit<RepairedCursor, 'from' | 'to'> & { id: string | null; timestamp: string | null }
  >(PG_BAD_CURSORS_SQL, [latest]);
  if (rows.length === 0) return [];
  const repaired: RepairedCursor[] = [];
  await client.query('BEGIN');
  try {
    for (const r of rows) {
      const bound = r.reason === 'future' || r.timestamp === null || r.timestamp > latest ? latest : r.timestamp;
      const target = await client.query<{ id: string; timestamp: string }>(
        `SELECT id, ${storedText('block_timestamp')} AS timestamp FROM trades
         WHERE pool_id = $1 AND block_timestamp <= $2::timestamptz ORDER BY block_timestamp DESC, id DESC LIMIT 1`,
        [r.poolId, bound],
      );
      const to = target.rows[0] ?? null;
      if (to)
        await client.query(
          'UPDATE collection_state SET last_trade_id = $2, last_trade_timestamp = $3::timestamptz, updated_at = now() WHERE pool_id = $1',
          [r.poolId, to.id, to.timestamp],
        );
      else await client.query('DELETE FROM collection_state WHERE pool_id = $1', [r.poolId]);
      repaired.push({ poolId: r.poolId, from: { id: r.id, timestamp: r.timestamp }, to, reason: r.reason });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return repaired;
}
