// export and ohlcv against PostgreSQL: the same bytes as from SQLite for the same trades (CSV, Parquet read back
// by DuckDB), export → import into a fresh schema → export again exact, filters, candles equal to the independent
// computation, and the PostgreSQL views ohlcv_1m … ohlcv_1d in exact numeric.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { TIMEFRAME_NAMES, TIMEFRAMES } from '../../../src/gecko/timeframes.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { cli } from '../../support/collect-run.ts';
import { type TestSchema, testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { canonical, independentCandles } from '../ohlcv/independent-candles.ts';
import { csvRecords, newDatabase, spreadTrades, withoutCreatedAt } from './export-fixtures.ts';

const dir = tempDir('gecko-pg-export-');
// A run on PostgreSQL keeps its local files (spool) in the state directory: this file's own.
process.env.XDG_STATE_HOME = dir;
const trades = spreadTrades();

async function pgWith(all: TradeRecord[]): Promise<TestSchema> {
  const t = await testSchema('export_pg');
  const open = async () => {
    const m = new LockOptimizedDatabaseManager({ url: t.url });
    await m.initialize();
    return m;
  };
  await (await open()).close();
  await t.query(`INSERT INTO dexes (id, name, network) VALUES ('fixture-dex', 'Fixture', 'solana')`);
  for (const id of new Set(all.map((x) => x.poolId)))
    await t.query(`INSERT INTO pools (id, address, dex_id) VALUES ($1, $2, 'fixture-dex')`, [id, id.split('_')[1]]);
  const m = await open();
  try {
    await m.storeTradeDataOptimized(all);
  } finally {
    await m.close();
  }
  return t;
}

const pg = pgWith(trades);
const sqlite = newDatabase(dir, 'same.db', trades);

async function exported(db: string, ...args: string[]): Promise<string> {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await cli(['export', '--db', db, '--out', out, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return fs.readFileSync(out, 'utf8');
}

describe('export from PostgreSQL', () => {
  it('CSV equal to the SQLite export of the same trades; export → import into a new schema → export exact', async () => {
    const t = await pg;
    const fromPg = await exported(t.url);
    expect(csvRecords(fromPg)).toHaveLength(trades.length + 1);
    expect(withoutCreatedAt(fromPg)).toBe(withoutCreatedAt(await exported(await sqlite)));

    const csv = path.join(dir, 'pg.csv');
    fs.writeFileSync(csv, fromPg);
    const fresh = await testSchema('export_pg');
    const imported = await cli(['import', csv, '--db', fresh.url, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: trades.length, rejected: 0 });
    expect(withoutCreatedAt(await exported(fresh.url))).toBe(withoutCreatedAt(fromPg));
    // Decimals are numeric on the server: the exact text went in, not a rounding of it.
    const [row] = await fresh.query<{ p: string }>(`SELECT price_usd::text AS p FROM trades WHERE id = $1`, [
      trades[0]!.id,
    ]);
    expect(row!.p).toBe(trades[0]!.priceUsd);
  });

  it('--pool of a pool the server does not know: exit 1 naming it, as on SQLite', async () => {
    const t = await pg;
    const r = await cli(['export', '--db', t.url, '--pool', 'solana_NoSuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^gecko-collector export: pool solana_NoSuch not in postgresql:\/\/.*nothing exported \[POOL_UNKNOWN\]\n$/,
    );
    expect(r.stdout).toBe('');
  });

  it('filters select the same trades as on SQLite', async () => {
    const t = await pg;
    const db = await sqlite;
    for (const args of [
      ['--network', 'eth'],
      ['--pool', 'solana_SecondPool', '--pool', 'eth_0xThirdPool'],
      ['--network', 'solana', '--since', '2025-08-27T20:00:00Z', '--until', '2025-08-28 10:00'],
    ]) {
      const a = withoutCreatedAt(await exported(t.url, ...args));
      expect(a.split('\n').length, args.join(' ')).toBeGreaterThan(10);
      expect(a, args.join(' ')).toBe(withoutCreatedAt(await exported(db, ...args)));
    }
  });

  it('Parquet from PostgreSQL reads back (DuckDB) equal to the one from SQLite', async () => {
    const t = await pg;
    const a = path.join(dir, 'pg.parquet');
    const b = path.join(dir, 'sqlite.parquet');
    expect((await cli(['export', '--db', t.url, '--format', 'parquet', '--out', a])).code).toBe(0);
    expect((await cli(['export', '--db', await sqlite, '--format', 'parquet', '--out', b])).code).toBe(0);
    const duck = await DuckDBInstance.create(':memory:');
    const con = await duck.connect();
    try {
      const read = async (f: string) =>
        (await con.runAndReadAll(`SELECT * EXCLUDE (created_at) FROM '${f}' ORDER BY id`)).getRowsJson();
      const rows = await read(a);
      expect(rows).toHaveLength(trades.length);
      expect(rows).toEqual(await read(b));
    } finally {
      con.closeSync();
      duck.closeSync();
    }
  });
});

describe('ohlcv from PostgreSQL', () => {
  it('CSV candles equal the independent computation for every timeframe', async () => {
    const t = await pg;
    for (const tf of TIMEFRAME_NAMES) {
      const r = await cli(['ohlcv', '--db', t.url, '--timeframe', tf, '--format', 'csv']);
      expect(r.code, r.stderr).toBe(0);
      const [head, ...rows] = csvRecords(r.stdout);
      const got = rows.map((x) => {
        const o = Object.fromEntries(head!.map((h, i) => [h, x[i]])) as Record<string, string | number>;
        return { ...o, trades: Number(o.trades), buys: Number(o.buys), sells: Number(o.sells) };
      });
      expect(got, tf).toEqual(independentCandles(trades, TIMEFRAMES[tf]));
    }
  });

  it('the views ohlcv_1m … ohlcv_1d give the same candles in exact numeric', async () => {
    const t = await pg;
    for (const tf of TIMEFRAME_NAMES) {
      const rows = await t.query<Record<string, string | number>>(
        `SELECT pool_id, to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS bucket_start,
           open::text, high::text, low::text, close::text, volume_usd::text, trades::int, buys::int, sells::int,
           buy_volume_usd::text, sell_volume_usd::text
         FROM ohlcv_${tf} ORDER BY pool_id COLLATE "C", bucket_start`,
      );
      const exact = (v: string | number) => canonical(String(v));
      expect(
        rows.map((r) => ({
          ...r,
          volume_usd: exact(r.volume_usd!),
          buy_volume_usd: exact(r.buy_volume_usd!),
          sell_volume_usd: exact(r.sell_volume_usd!),
        })),
        tf,
      ).toEqual(independentCandles(trades, TIMEFRAMES[tf]));
    }
  });
});
