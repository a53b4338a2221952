// The completeness schema step on both engines: a file or schema at the previous version gains the rate, gap and
// fill columns, ohlcv_candles and pool_membership, and keeps its rows; a second open changes nothing.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migratePostgres } from '../../../src/storage/postgres/schema-migrations.ts';
import { MIGRATION_VERSIONS, migrate } from '../../../src/storage/sqlite/schema-migrations.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const NEW_COLUMNS = {
  collection_state: ['trade_rate_per_s', 'rate_observed_at', 'poll_interval_ms'],
  collection_gaps: ['estimated_missed', 'filled_at', 'filled_trades', 'fill_error'],
  ohlcv_candles: ['pool_id', 'timeframe', 'bucket_start', 'source', 'volume_usd', 'fetched_at'],
  pool_membership: ['pool_id', 'source', 'joined_at', 'left_at'],
} as const;

describe('completeness schema', () => {
  it('SQLite: a version-5 file gains the columns and tables, its cursors and gaps intact', () => {
    const db = new Database(`${tempDir('schema6')}/gecko.db`);
    try {
      migrate(db);
      // Back to the previous version's shape: drop what step 6 adds, then open again as a collector would.
      db.exec('DROP TABLE ohlcv_candles; DROP TABLE pool_membership');
      for (const [table, cols] of Object.entries(NEW_COLUMNS).slice(0, 2))
        for (const c of cols) db.exec(`ALTER TABLE ${table} DROP COLUMN ${c}`);
      db.pragma('user_version = 5');
      db.exec(`INSERT INTO collection_state (pool_id, last_trade_id) VALUES ('eth_0xA', 't1');
        INSERT INTO collection_gaps (pool_id, gap_start, gap_end, detected_at, trades_in_response)
          VALUES ('eth_0xA', '2026-01-01 00:00:00', '2026-01-01 00:01:00', '2026-01-01 00:02:00', 300)`);

      expect(migrate(db)).toEqual(MIGRATION_VERSIONS.filter((v) => v > 5));
      for (const [table, cols] of Object.entries(NEW_COLUMNS)) {
        const have = (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map(
          (c) => c.name,
        );
        expect(have, table).toEqual(expect.arrayContaining([...cols]));
      }
      expect(db.prepare('SELECT last_trade_id, trade_rate_per_s FROM collection_state').get()).toEqual({
        last_trade_id: 't1',
        trade_rate_per_s: null,
      });
      expect(db.prepare('SELECT trades_in_response, filled_at FROM collection_gaps').get()).toEqual({
        trades_in_response: 300,
        filled_at: null,
      });
      expect(migrate(db)).toEqual([]);
      expect(() =>
        db.exec(`INSERT INTO ohlcv_candles (pool_id, timeframe, bucket_start, source, fetched_at)
          VALUES ('eth_0xA', '1m', '2026-01-01 00:00:00', 'guess', '2026-01-01 00:00:00')`),
      ).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });

  it('PostgreSQL: a fresh schema has the same columns and tables', async () => {
    const t = await testSchema('gecko_schema');
    await migratePostgres(t.sql, t.schema);
    for (const [table, cols] of Object.entries(NEW_COLUMNS)) {
      const rows = await t.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        [t.schema, table],
      );
      expect(
        rows.map((r) => r.column_name),
        table,
      ).toEqual(expect.arrayContaining([...cols]));
    }
    expect(await migratePostgres(t.sql, t.schema)).toEqual([]);
  });
});
