// The bulk write path on PostgreSQL: a whole group's trades in one COPY (text format) into a session-local
// temporary table, then per batch one INSERT … SELECT … ON CONFLICT DO NOTHING from it (its row count is the
// batch's inserted rows). Far less client work than binding arrays and no savepoint per batch;
// but COPY is all or nothing: a value the server refuses fails the whole group, which the writer then writes
// again batch by batch (savepoints, bisection).

import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { TRADE_FIELDS } from '../../trades/trade-validation.ts';
import { TRADE_COLUMNS } from './trade-statements.ts';

const TEMP = 'gecko_trades_in';

const CREATE_TEMP = `CREATE TEMP TABLE IF NOT EXISTS ${TEMP} (
  b integer, id text, pool_id text, block_number int8, tx_hash text, tx_from_address text,
  fta text, tta text, pu text, vu text, side text, bts text, ca text) ON COMMIT DELETE ROWS`;

// One statement per batch over the temporary table: its row count is that batch's inserted rows, and a trade
// two batches of the group carry counts as inserted for the first one only, as on the unnest path.
const INSERT_BATCH_FROM_TEMP = {
  name: 'gecko_insert_from_copy',
  text: `INSERT INTO trades (${TRADE_COLUMNS.join(', ')}, created_at)
SELECT id, pool_id, block_number, tx_hash, tx_from_address, fta::numeric, tta::numeric, pu::numeric, vu::numeric,
       side, bts::timestamptz, coalesce(ca::timestamptz, now())
FROM ${TEMP} WHERE b = $1
ON CONFLICT (id) DO NOTHING`,
};

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : s;
}

/** A batch's flat validated rows and, for an import's batch, each row's own created_at (see batchValues). */
export interface CopyBatch {
  flat: readonly unknown[];
  createdAt?: readonly (string | null)[] | undefined;
}

/** COPY text of every batch's rows, each row led by its batch number and ended by its own created_at (or \N). */
export function copyText(batches: readonly CopyBatch[]): string {
  const lines: string[] = [];
  batches.forEach(({ flat, createdAt }, b) => {
    for (let at = 0; at < flat.length; at += TRADE_FIELDS) {
      let line = String(b);
      for (let f = 0; f < TRADE_FIELDS; f++) line += `\t${field(flat[at + f])}`;
      lines.push(`${line}\t${field(createdAt?.[at / TRADE_FIELDS])}`);
    }
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Inside the caller's transaction: stores every batch's rows; returns the rows each batch inserted. */
export async function copyTrades(c: pg.Client, batches: readonly CopyBatch[]): Promise<number[]> {
  const inserted = batches.map(() => 0);
  const text = copyText(batches);
  if (text === '') return inserted;
  await c.query(CREATE_TEMP);
  const stream = c.query(copyFrom(`COPY ${TEMP} FROM STDIN`));
  stream.end(text);
  await finished(stream);
  for (let b = 0; b < batches.length; b++) {
    if (batches[b]!.flat.length === 0) continue;
    inserted[b] = (await c.query({ ...INSERT_BATCH_FROM_TEMP, values: [b] })).rowCount ?? 0;
  }
  return inserted;
}
