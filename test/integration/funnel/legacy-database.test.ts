// Pointing the collector at the Python collector's gecko_data.db: WAL, only additions, every old row intact.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { MIGRATION_VERSIONS, SCHEMA_VERSION } from '../../../src/storage/sqlite/schema-migrations.ts';
import { fixturePath, tempDir } from '../../support/temp-dir.ts';

const LEGACY_ROWS = `
INSERT INTO dexes VALUES ('pump-fun', 'Pump.fun', 'solana', '2025-09-04 23:31:26.000000', NULL);
INSERT INTO pools (id, address, name, dex_id, reserve_usd, created_at, last_updated, activity_score, discovery_source, collection_priority)
  VALUES ('solana_PoolA', 'PoolA', 'A / SOL', 'pump-fun', 12345.67891234, '2025-09-01 10:00:00.000000', '2025-09-04 23:31:26.000000', 87.5, 'auto', 'high');
INSERT INTO trades VALUES ('solana_1_tx1_0_1756397712', 'solana_PoolA', 363106602, 'tx1', 'from1', 2.505487036, 10787911.48458, 0.0000493804611736866, 532.712044209, 'buy', '2025-08-28 16:15:08.000000', '2025-08-28 16:16:00.123456');
INSERT INTO trades VALUES ('solana_2_tx2_1_1756397800', 'solana_PoolA', 363106700, 'tx2', 'from2', 0.5, 123.25, 0.00004, 9.75, 'sell', '2025-08-28 16:16:40.000000', '2025-08-28 16:17:00.000000');
INSERT INTO watchlist (id, pool_id, token_symbol, is_active, created_at) VALUES (1, 'solana_PoolA', 'A', 1, '2025-09-01 10:00:00.000000');
`;

function sqlite3(db: string, sql: string): string {
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

/** Every original column of every legacy table, as SQLite's own quote() renders the stored value. */
function legacyDump(db: string): string {
  const tables = { dexes: 'id', pools: 'id', trades: 'id', watchlist: 'id' };
  return Object.entries(tables)
    .map(([t, key]) => {
      const cols = (
        JSON.parse(
          execFileSync('sqlite3', ['-json', db, `SELECT name FROM pragma_table_info('${t}')`], { encoding: 'utf8' }) ||
            '[]',
        ) as { name: string }[]
      )
        .map((c) => c.name)
        .filter((c) => !c.endsWith('_exact'));
      return sqlite3(
        db,
        `SELECT ${cols.map((c) => `quote(${c}) || '|' || typeof(${c})`).join(" || ',' || ")} FROM ${t} ORDER BY ${key}`,
      );
    })
    .join('\n');
}

describe('existing legacy database', () => {
  it('switches to WAL, adds only what is missing, keeps old rows, appends new trades; second open is a no-op', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'gecko_data.db');
    execFileSync('sqlite3', [db], { input: fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8') + LEGACY_ROWS });
    expect(sqlite3(db, 'PRAGMA journal_mode').trim()).toBe('delete');
    const before = legacyDump(db);
    expect(before).toContain('12345.67891234|real');

    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db) });
    const info = await m.initialize();
    expect(info.schemaFlavor).toBe('numeric-exact');
    expect(info.migrationsApplied).toEqual(MIGRATION_VERSIONS);
    const fresh = [syntheticTrade(1), syntheticTrade(2)];
    const r = await m.storeTradeDataOptimized(fresh);
    expect(r.inserted).toBe(2);
    await m.close();

    expect(sqlite3(db, 'PRAGMA journal_mode').trim()).toBe('wal');
    expect(sqlite3(db, 'PRAGMA user_version').trim()).toBe(String(SCHEMA_VERSION));
    const after = legacyDump(db);
    // Old rows unchanged value for value and type for type; only the two new trades were added.
    for (const line of before.split('\n').filter(Boolean)) expect(after).toContain(line);
    expect(sqlite3(db, 'SELECT count(*) FROM trades').trim()).toBe('4');
    // New trades land in the same table; the exact decimals sit beside the NUMERIC columns.
    const row = new Database(db, { readonly: true })
      .prepare('SELECT price_usd_exact, volume_usd_exact, block_timestamp FROM trades WHERE id = ?')
      .get(fresh[0]!.id) as Record<string, string>;
    expect(row.price_usd_exact).toBe(fresh[0]!.priceUsd);
    expect(row.volume_usd_exact).toBe(fresh[0]!.volumeUsd);
    expect(
      sqlite3(
        db,
        "SELECT name FROM sqlite_master WHERE name IN ('collection_state','collection_gaps','idx_trades_pool_time') ORDER BY name",
      )
        .trim()
        .split('\n'),
    ).toEqual(['collection_gaps', 'collection_state', 'idx_trades_pool_time']);

    const schemaBefore = sqlite3(db, 'SELECT type, name, sql FROM sqlite_master ORDER BY name');
    const m2 = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db) });
    const info2 = await m2.initialize();
    await m2.close();
    expect(info2.migrationsApplied).toEqual([]);
    expect(sqlite3(db, 'SELECT type, name, sql FROM sqlite_master ORDER BY name')).toBe(schemaBefore);
    expect(legacyDump(db)).toBe(after);
  });
});
