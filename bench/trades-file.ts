// A SQLite file with N synthetic trades (16 pools, 2 trades a second), in the layout this build creates, for the
// export and ohlcv benchmarks. Written directly in one transaction: it is the data, not the writer, that is measured.

import Database from 'better-sqlite3';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { migrate } from '../src/sqlite/schema-migrations.ts';
import { normalizeTimestamp } from '../src/trades/trade-validation.ts';

const BASE = [
  'id',
  'pool_id',
  'block_number',
  'tx_hash',
  'tx_from_address',
  'from_token_amount',
  'to_token_amount',
  'price_usd',
  'volume_usd',
  'side',
  'block_timestamp',
  'created_at',
];
const EXACT = ['from_token_amount_exact', 'to_token_amount_exact', 'price_usd_exact', 'volume_usd_exact'];

/** Creates `file` holding `rows` trades; returns the seconds it took. */
export function buildTradesFile(file: string, rows: number): number {
  const t0 = performance.now();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    migrate(db);
    const have = new Set(
      (db.prepare(`SELECT name FROM pragma_table_info('trades')`).all() as { name: string }[]).map((c) => c.name),
    );
    // The exact text goes beside the amounts wherever the layout has the columns for it.
    const exact = EXACT.every((c) => have.has(c));
    const cols = exact ? [...BASE, ...EXACT] : BASE;
    const insert = db.prepare(`INSERT INTO trades (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    db.pragma('foreign_keys = OFF');
    const createdAt = '2026-01-01 00:00:00.000000';
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const t = syntheticTrade(i);
        const amounts = [t.fromTokenAmount, t.toTokenAmount, t.priceUsd, t.volumeUsd];
        const v = [t.id, t.poolId, t.blockNumber, t.txHash, t.txFromAddress, ...amounts, t.side];
        v.push(normalizeTimestamp(t.blockTimestamp), createdAt);
        insert.run(exact ? [...v, ...amounts] : v);
      }
    })();
  } finally {
    db.close();
  }
  return (performance.now() - t0) / 1000;
}
