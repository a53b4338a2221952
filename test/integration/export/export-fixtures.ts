// Databases for the export and ohlcv tests, built from the fixture's 300 real trades: an adopted Python-collector
// file (its own DDL, NUMERIC amounts with the exact text beside them: the layout every file reads once the schema
// migration lands) with one old row that has no exact text, and a file gecko-collector creates itself.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { fixturePath, fixtureTrades } from '../../support/fixtures.ts';

/** The fixture's trades in three pools of two networks (ids made unique per pool). */
export function spreadTrades(): TradeRecord[] {
  const base = fixtureTrades();
  const copy = (poolId: string, tag: string) =>
    base.filter((_, i) => i % 3 === 0).map((t) => ({ ...t, id: `${t.id}_${tag}`, poolId }));
  return [...base, ...copy('solana_SecondPool', 'b'), ...copy('eth_0xThirdPool', 'c')];
}

/** A row the old collector wrote: REAL values in the NUMERIC columns, no exact text. */
export const OLD_ROW = {
  id: 'solana_1_oldtx_0_1756397712',
  pool_id: 'solana_PoolFromFixture',
  block_number: 363106602,
  tx_hash: 'oldtx',
  tx_from_address: 'oldfrom',
  from_token_amount: 1e21,
  to_token_amount: 10787911.48458,
  price_usd: 9.97664662010672e-5,
  volume_usd: 209.29,
  side: 'sell',
  block_timestamp: '2025-08-28 16:15:08.000000',
  created_at: '2025-09-04 23:57:56',
};
/** OLD_ROW's decimals as an export writes them. */
export const OLD_ROW_TEXT = {
  from_token_amount: '1000000000000000000000',
  to_token_amount: '10787911.48458',
  price_usd: '0.0000997664662010672',
  volume_usd: '209.29',
};

/** The dex and pool rows the trades point at (a file may enforce trades.pool_id → pools.id). */
function addPools(file: string, trades: readonly { poolId: string }[]): void {
  const db = new Database(file);
  try {
    db.prepare(`INSERT OR IGNORE INTO dexes (id, name, network) VALUES ('fixture-dex', 'Fixture', 'solana')`).run();
    const pool = db.prepare(`INSERT OR IGNORE INTO pools (id, address, dex_id) VALUES (?, ?, 'fixture-dex')`);
    for (const id of new Set(trades.map((t) => t.poolId))) pool.run(id, id.slice(id.indexOf('_') + 1));
  } finally {
    db.close();
  }
}

async function store(file: string, trades: TradeRecord[]): Promise<void> {
  const open = async () => {
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(file) });
    await m.initialize();
    return m;
  };
  // Opened once first so the tables exist (a new file), then the pools go in before the trades.
  await (await open()).close();
  addPools(file, trades);
  const m = await open();
  try {
    await m.storeTradeDataOptimized(trades);
  } finally {
    await m.close();
  }
}

/** An adopted legacy file (schema.sql, OLD_ROW) to which the collector then wrote `trades`. */
export async function adoptedDatabase(dir: string, trades = spreadTrades()): Promise<string> {
  const file = path.join(dir, 'adopted.db');
  let db = new Database(file);
  db.exec(fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8'));
  db.close();
  addPools(file, [...trades, { poolId: OLD_ROW.pool_id }]);
  db = new Database(file);
  db.prepare(
    `INSERT INTO trades (${Object.keys(OLD_ROW).join(', ')}) VALUES (${Object.keys(OLD_ROW)
      .map((k) => `@${k}`)
      .join(', ')})`,
  ).run(OLD_ROW);
  db.close();
  await store(file, trades);
  return file;
}

/** A file gecko-collector creates, holding `trades`. */
export async function newDatabase(dir: string, name: string, trades: TradeRecord[]): Promise<string> {
  const file = path.join(dir, name);
  await store(file, trades);
  return file;
}

/** Splits CSV text whose fields hold no quotes or commas (true of every export here) into records. */
export function csvRecords(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
}

/** The CSV with its created_at column (the last) removed: import stamps its own. */
export function withoutCreatedAt(text: string): string {
  return csvRecords(text)
    .map((r) => r.slice(0, -1).join(','))
    .join('\n');
}
