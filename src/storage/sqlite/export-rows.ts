// Reads trades out of a SQLite file through a read-only connection, one row at a time (better-sqlite3's
// iterate: memory stays flat however many rows), in pool, block time, trade id order. Works on every layout a
// file may have: the exact text from the *_exact columns where they exist, the plain columns otherwise.

import type Database from 'better-sqlite3';
import { DatabaseOpenError } from '../../errors.ts';
import { TRADE_AMOUNT_COLUMNS } from '../../trades/trade-columns.ts';
import { decimalText } from '../stored-values.ts';
import type { CandleTrade, ExportRow, TradeFilter, TradeRowSource, WhereClause } from '../trade-rows.ts';
import { sqliteKeptCandles } from './kept-candles.ts';
import { storedTimestamp } from './trade-statements.ts';

const DECIMALS = TRADE_AMOUNT_COLUMNS;
type DecimalColumn = (typeof DECIMALS)[number];

/** The expression that reads a decimal column's exact text on this file. */
function exactExpressions(db: Database.Database, path: string): Record<DecimalColumn, string> {
  const cols = new Set(
    (db.prepare(`SELECT name FROM pragma_table_info('trades')`).all() as { name: string }[]).map((c) => c.name),
  );
  if (!cols.has('id')) throw new DatabaseOpenError(`${path} has no trades table: is it a gecko-collector database?`);
  const out = {} as Record<DecimalColumn, string>;
  for (const c of DECIMALS) out[c] = cols.has(`${c}_exact`) ? `coalesce(${c}_exact, ${c})` : c;
  return out;
}

// The index (pool_id, block_timestamp) gives this order without a sort; trades that share a pool and a block
// time (many do: times are whole seconds) are put in id order by inIdOrder, which is cheaper than SQLite sorting
// every row again for the last term.
const ORDER = 'ORDER BY pool_id, block_timestamp';

/** Rows of (pool, block time) order with each run of equal (pool, block time) sorted by id, byte-wise. */
function* inIdOrder<T extends { id: string; poolId: string; blockTimestamp: string | null }>(
  rows: Iterable<T>,
): Generator<T> {
  let run: T[] = [];
  const flush = function* () {
    if (run.length > 1) run.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    yield* run;
  };
  for (const r of rows) {
    const first = run[0];
    if (first && (first.poolId !== r.poolId || first.blockTimestamp !== r.blockTimestamp)) {
      yield* flush();
      run = [];
    }
    run.push(r);
  }
  yield* flush();
}

/** Every trade the filter selects, as export rows, in pool, block time, trade id order. */
export function sqliteExportRows(db: Database.Database, path: string, filter: TradeFilter): Iterable<ExportRow> {
  return inIdOrder(exportRowsByTime(db, path, filter));
}

/** The generators hold a read transaction (one snapshot) until they finish. */
function* exportRowsByTime(db: Database.Database, path: string, filter: TradeFilter): Generator<ExportRow> {
  const x = exactExpressions(db, path);
  const where = sqliteWhere(filter);
  const stmt = db
    .prepare(
      `SELECT id, pool_id, block_number, tx_hash, tx_from_address, ${x.from_token_amount}, ${x.to_token_amount},
              ${x.price_usd}, ${x.volume_usd}, side, block_timestamp, created_at
       FROM trades ${where.sql} ${ORDER}`,
    )
    .raw(true)
    // 64-bit integers as bigint: a NUMERIC column of the old collector may hold integers beyond 2^53.
    .safeIntegers(true);
  for (const r of stmt.iterate(...where.params) as IterableIterator<unknown[]>) {
    const id = String(r[0]);
    yield {
      id,
      poolId: String(r[1]),
      blockNumber: r[2] === null ? null : Number(r[2]),
      txHash: r[3] as string | null,
      txFromAddress: r[4] as string | null,
      fromTokenAmount: decimalText(r[5], 'from_token_amount', id),
      toTokenAmount: decimalText(r[6], 'to_token_amount', id),
      priceUsd: decimalText(r[7], 'price_usd', id),
      volumeUsd: decimalText(r[8], 'volume_usd', id),
      side: r[9] as string | null,
      blockTimestamp: r[10] as string | null,
      createdAt: r[11] as string | null,
    };
  }
}

/** The trades a candle needs (priced and timed ones), in pool, block time, trade id order. */
export function sqliteCandleTrades(db: Database.Database, path: string, filter: TradeFilter): Iterable<CandleTrade> {
  return inIdOrder(candleTradesByTime(db, path, filter));
}

function* candleTradesByTime(db: Database.Database, path: string, filter: TradeFilter): Generator<CandleTrade> {
  const x = exactExpressions(db, path);
  const where = sqliteWhere(filter);
  const priced = 'block_timestamp IS NOT NULL AND price_usd IS NOT NULL';
  const stmt = db
    .prepare(
      `SELECT id, pool_id, ${x.price_usd}, ${x.volume_usd}, side, block_timestamp FROM trades
       ${where.sql ? `${where.sql} AND ${priced}` : `WHERE ${priced}`} ${ORDER}`,
    )
    .raw(true)
    .safeIntegers(true);
  for (const r of stmt.iterate(...where.params) as IterableIterator<unknown[]>) {
    const id = r[0] as string;
    yield {
      id,
      poolId: r[1] as string,
      priceUsd: decimalText(r[2], 'price_usd', id)!,
      volumeUsd: decimalText(r[3], 'volume_usd', id) ?? '0',
      side: r[4] as string,
      blockTimestamp: r[5] as string,
    };
  }
}

/** Of `poolIds`, those with neither a pools row nor a trade in this file. */
export function sqliteUnknownPools(db: Database.Database, poolIds: readonly string[]): string[] {
  const known = db.prepare(
    'SELECT EXISTS (SELECT 1 FROM pools WHERE id = ?) OR EXISTS (SELECT 1 FROM trades WHERE pool_id = ?)',
  );
  return poolIds.filter((id) => known.pluck().get(id, id) === 0);
}

/** The WHERE clause on a SQLite trades table (index (pool_id, block_timestamp) usable for every term). */
/** `time`: the column --since/--until bound and the text of a bound (kept candles: bucket_start, whole seconds). */
export function sqliteWhere(
  f: TradeFilter,
  time: { column: string; text: (ms: number) => string } = { column: 'block_timestamp', text: storedTimestamp },
): WhereClause {
  const terms: string[] = [];
  const params: unknown[] = [];
  if (f.poolIds?.length) {
    terms.push(`pool_id IN (${f.poolIds.map(() => '?').join(', ')})`);
    params.push(...f.poolIds);
  }
  if (f.network !== undefined) {
    // `solana_` ≤ pool_id < `solana` + the character after `_`: a prefix as an index range (LIKE would treat `_`
    // as a wildcard and, case-insensitive, skip the index).
    terms.push('pool_id >= ? AND pool_id < ?');
    params.push(`${f.network}_`, `${f.network}\``);
  }
  if (f.since) {
    terms.push(`${time.column} >= ?`);
    params.push(time.text(f.since.getTime()));
  }
  if (f.until) {
    terms.push(`${time.column} < ?`);
    params.push(time.text(f.until.getTime()));
  }
  return { sql: terms.length ? `WHERE ${terms.join(' AND ')}` : '', params };
}

/** Rows of a synchronous SQLite iteration, a batch at a time (one await per batch, not per row). */
async function* batches<T>(rows: Iterable<T>, size = 1000): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const CANDLE_MMAP_BYTES = 1 << 30;

/** The export rows of an open (read-only) SQLite file. */
export function sqliteTradeRows(db: Database.Database, path: string): TradeRowSource {
  return {
    display: path,
    exportRows: (filter) => batches(sqliteExportRows(db, path, filter)),
    unknownPools: async (poolIds) => sqliteUnknownPools(db, poolIds),
    candleTrades: (filter) => {
      // Candles read every row through the (pool_id, block_timestamp) index, one table lookup each: mapped
      // pages spare a read call per lookup (about half of SQLite's time there). Export keeps plain reads, so its
      // memory stays its own rather than the file's.
      db.pragma(`mmap_size = ${CANDLE_MMAP_BYTES}`);
      return batches(sqliteCandleTrades(db, path, filter));
    },
    keptCandles: async (timeframe, filter) =>
      sqliteKeptCandles(
        db,
        timeframe,
        sqliteWhere(filter, { column: 'bucket_start', text: (ms) => storedTimestamp(ms).slice(0, 19) }),
      ),
    close: async () => void db.close(),
  };
}
