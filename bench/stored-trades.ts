// Trades a database holds per pool in a time interval, SQLite or PostgreSQL, read on a connection of its own:
// the "stored" of completeness = stored / made, beside the simulator's truth ledger for the same interval.

import Database from 'better-sqlite3';
import { resolveDatabaseConfig, writerSettingsFrom } from '../src/config/database-config.ts';
import { connectPg } from '../src/storage/postgres/connection.ts';

/** `2025-09-01 12:00:00.000000`: how the writer stores a block time on SQLite (whole seconds, UTC). */
function sqliteTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}000`;
}

/**
 * Pool address → trades stored with fromMs <= block_timestamp < toMs (whole-second bounds match the
 * truth ledger's: a block_timestamp is the trade's time cut to the second). Pools without any are absent.
 */
export async function storedTradesByPool(
  dbUrl: string,
  network: string,
  fromMs: number,
  toMs: number,
): Promise<Map<string, number>> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url: dbUrl }));
  let rows: { pool_id: string; n: number | string }[];
  if (settings.postgres) {
    const client = await connectPg(settings.postgres, { purpose: 'bench-read', readOnly: true });
    try {
      rows = (
        await client.query<{ pool_id: string; n: string }>(
          'SELECT pool_id, count(*) AS n FROM trades WHERE block_timestamp >= $1 AND block_timestamp < $2 GROUP BY pool_id',
          [new Date(fromMs), new Date(toMs)],
        )
      ).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = new Database(settings.path, { readonly: true, fileMustExist: true });
    try {
      rows = db
        .prepare(
          'SELECT pool_id, count(*) AS n FROM trades WHERE block_timestamp >= ? AND block_timestamp < ? GROUP BY pool_id',
        )
        .all(sqliteTime(fromMs), sqliteTime(toMs)) as { pool_id: string; n: number }[];
    } finally {
      db.close();
    }
  }
  const prefix = `${network}_`;
  return new Map(
    rows.map((r) => [r.pool_id.startsWith(prefix) ? r.pool_id.slice(prefix.length) : r.pool_id, Number(r.n)]),
  );
}
