// Reads trades out of PostgreSQL through a read-only session: one REPEATABLE READ snapshot, a server-side cursor
// fetched a batch at a time (memory stays flat however many rows), in pool, block time, trade id order. numeric
// comes back as its exact text, times as the SQLite layout's UTC text.

import type pg from 'pg';
import type { CandleTrade, ExportRow, TradeFilter, TradeRowSource, WhereClause } from '../trade-rows.ts';
import { pgKeptCandles } from './kept-candles.ts';

/** Rows per FETCH: big enough that round trips do not count, small enough to keep memory flat. */
const FETCH_ROWS = 5000;

const UTC_TEXT = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
// Pool and trade ids compare byte-wise, as in SQLite, whatever the database's collation: the same trades come
// out in the same order from either database.
const ORDER = 'ORDER BY pool_id COLLATE "C", block_timestamp, id COLLATE "C"';

/** Runs `sql` as a cursor in a read-only snapshot and yields its rows (as arrays) a batch at a time. */
async function* cursorBatches(client: pg.ClientBase, sql: string, params: unknown[]): AsyncGenerator<unknown[][]> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let done = false;
  try {
    await client.query(`DECLARE gecko_export NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const r = await client.query<unknown[]>({
        text: `FETCH FORWARD ${FETCH_ROWS} FROM gecko_export`,
        rowMode: 'array',
      });
      if (r.rows.length === 0) break;
      yield r.rows;
    }
    done = true;
  } finally {
    // A consumer that stops early (an output error) ends the snapshot too; the connection stays usable.
    await client.query(done ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
  }
}

export async function* pgExportRows(client: pg.ClientBase, filter: TradeFilter): AsyncGenerator<ExportRow[]> {
  const where = pgWhere(filter);
  const sql = `SELECT id, pool_id, block_number, tx_hash, tx_from_address, from_token_amount::text,
      to_token_amount::text, price_usd::text, volume_usd::text, side, ${UTC_TEXT('block_timestamp')},
      ${UTC_TEXT('created_at')}
    FROM trades ${where.sql} ${ORDER}`;
  for await (const batch of cursorBatches(client, sql, where.params)) {
    yield batch.map((r) => ({
      id: r[0] as string,
      poolId: r[1] as string,
      // bigint arrives as text; block numbers stay far below 2^53.
      blockNumber: r[2] === null ? null : Number(r[2]),
      txHash: r[3] as string | null,
      txFromAddress: r[4] as string | null,
      fromTokenAmount: r[5] as string | null,
      toTokenAmount: r[6] as string | null,
      priceUsd: r[7] as string | null,
      volumeUsd: r[8] as string | null,
      side: r[9] as string | null,
      blockTimestamp: r[10] as string | null,
      createdAt: r[11] as string | null,
    }));
  }
}

export async function* pgCandleTrades(client: pg.ClientBase, filter: TradeFilter): AsyncGenerator<CandleTrade[]> {
  const where = pgWhere(filter);
  const priced = 'price_usd IS NOT NULL';
  const sql = `SELECT id, pool_id, price_usd::text, coalesce(volume_usd, 0)::text, side,
      ${UTC_TEXT('block_timestamp')}
    FROM trades ${where.sql ? `${where.sql} AND ${priced}` : `WHERE ${priced}`} ${ORDER}`;
  for await (const batch of cursorBatches(client, sql, where.params)) {
    yield batch.map((r) => ({
      id: r[0] as string,
      poolId: r[1] as string,
      priceUsd: r[2] as string,
      volumeUsd: r[3] as string,
      side: r[4] as string,
      blockTimestamp: r[5] as string,
    }));
  }
}

/** Of `poolIds`, those with neither a pools row nor a trade in the database. */
export async function pgUnknownPools(client: pg.ClientBase, poolIds: readonly string[]): Promise<string[]> {
  const r = await client.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS given(id, n)
     WHERE NOT EXISTS (SELECT 1 FROM pools WHERE pools.id = given.id)
       AND NOT EXISTS (SELECT 1 FROM trades WHERE trades.pool_id = given.id)
     ORDER BY n`,
    [poolIds],
  );
  return r.rows.map((row) => row.id);
}

/** The WHERE clause on a PostgreSQL trades table ($1, $2, … from `first`). */
export function pgWhere(f: TradeFilter, first = 1): WhereClause {
  const terms: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  if (f.poolIds?.length) terms.push(`pool_id = ANY(${p(f.poolIds)}::text[])`);
  if (f.network !== undefined) terms.push(`starts_with(pool_id, ${p(`${f.network}_`)})`);
  if (f.since) terms.push(`block_timestamp >= ${p(f.since.toISOString())}::timestamptz`);
  if (f.until) terms.push(`block_timestamp < ${p(f.until.toISOString())}::timestamptz`);
  return { sql: terms.length ? `WHERE ${terms.join(' AND ')}` : '', params };
}

/** The export rows on a read-only session (its snapshot lives as long as the export). */
export function pgTradeRows(client: pg.Client, display: string): TradeRowSource {
  return {
    display,
    exportRows: (filter) => pgExportRows(client, filter),
    unknownPools: (poolIds) => pgUnknownPools(client, poolIds),
    candleTrades: (filter) => pgCandleTrades(client, filter),
    keptCandles: (timeframe, filter) => pgKeptCandles(client, timeframe, filter),
    close: () => client.end(),
  };
}
