// A SQLite file with N synthetic trades (16 pools, 2 trades a second), in the layout this build creates, for the
// export and ohlcv benchmarks. Written directly in one transaction: it is the data, not the writer, that is measured.

import Database from 'better-sqlite3';
import { EXPORT_COLUMNS } from '../src/export/trade-row.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { EXACT_COLUMNS, migrate } from '../src/storage/sqlite/schema-migrations.ts';
import { normalizeTimestamp } from '../src/trades/trade-validation.ts';

/** Creates `file` holding `rows` trades; returns the seconds it took. */
export function buildTradesFile(file: string, rows: number): number {
  const t0 = performance.now();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    migrate(db);
    // The one layout: the amounts in NUMERIC and their exact text beside.
    const cols = [...EXPORT_COLUMNS, ...EXACT_COLUMNS];
    const insert = db.prepare(`INSERT INTO trades (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    db.pragma('foreign_keys = OFF');
    const createdAt = '2026-01-01 00:00:00.000000';
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const t = syntheticTrade(i);
        const amounts = [t.fromTokenAmount, t.toTokenAmount, t.priceUsd, t.volumeUsd];
        const v = [t.id, t.poolId, t.blockNumber, t.txHash, t.txFromAddress, ...amounts, t.side];
        v.push(normalizeTimestamp(t.blockTimestamp), createdAt);
        insert.run([...v, ...amounts]);
      }
    })();
  } finally {
    db.close();
  }
  return (performance.now() - t0) / 1000;
}
