// The bulk write path on PostgreSQL: a whole group's trades in one COPY (text format). First straight into
// trades under a savepoint (COPY's multi-row inserts, no speculative insertion per row): when no trade of the
// group is stored yet, that is all. A stored id fails it (unique violation): the savepoint is rolled back and the
// group's trades go by COPY into a session-local staging table, then in one INSERT … SELECT … ON CONFLICT DO
// NOTHING into trades, the duplicates counted per batch and compared with the stored rows (conflict rule).
// COPY is all or nothing: a value the server refuses fails the group, which the writer then writes again batch
// by batch (savepoints, bisection).

import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TradeConflict } from '../../protocol/messages.ts';
import { TRADE_FIELD_COLUMNS } from '../../trades/trade-columns.ts';
import { TRADE_FIELDS } from '../../trades/trade-validation.ts';
import { sqlStateOf } from './errors.ts';
import { conflictsOf, DIFFERS_SQL, RECEIVED_AND_KEPT_SQL } from './trade-conflicts.ts';
import { TRADE_COLUMNS } from './trade-statements.ts';

const STAGING = 'gecko_trades_in';
const COLUMNS = TRADE_FIELD_COLUMNS.map(([, col]) => col);

// Text columns named as in trades, so the conflict comparison reads them as it reads the unnest path's.
const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (
  b integer, ${COLUMNS.map((col) => `${col} ${col === 'block_number' ? 'int8' : 'text'}`).join(', ')}, ca text)
  ON COMMIT DELETE ROWS`;

const COPY_STRAIGHT = `COPY trades (${TRADE_COLUMNS.join(', ')}) FROM STDIN`;
const COPY_STAGING = `COPY ${STAGING} FROM STDIN`;

// One COPY appends the rows in group order to the staging table (emptied at each commit), and a sequential scan
// reads them back in that order: of an id two batches carry, the first one's version is the one stored.
const INSERT_FROM_STAGING = `INSERT INTO trades (${TRADE_COLUMNS.join(', ')}, created_at)
SELECT id, pool_id, block_number, tx_hash, tx_from_address, from_token_amount::numeric, to_token_amount::numeric,
       price_usd::numeric, volume_usd::numeric, side, block_timestamp::timestamptz, coalesce(ca::timestamptz, now())
FROM ${STAGING}
ON CONFLICT (id) DO NOTHING`;

// Only when the group had duplicates: the rows each batch stored, i.e. those whose trades row this transaction
// wrote (xmin is the transaction's id, modulo 2^32), each id counted for the first batch carrying it.
const INSERTED_PER_BATCH = `SELECT s.b, count(*)::int AS n
FROM (SELECT DISTINCT ON (id) b, id FROM ${STAGING} ORDER BY id, b) s
JOIN trades t ON t.id = s.id
WHERE t.xmin::text = (pg_current_xact_id()::text::numeric % 4294967296)::text
GROUP BY s.b`;

// The staged rows of the batches with duplicates whose id is stored with other contents (the rule decides).
const FIND_STAGED_CONFLICTS = `SELECT u.b, u.id, ${RECEIVED_AND_KEPT_SQL}
FROM ${STAGING} u JOIN trades t ON t.id = u.id
WHERE u.b = ANY($1::int[]) AND (${DIFFERS_SQL})`;

/** After a stored id failed the straight COPY, this many groups go to the staging table without trying it. */
const STAGED_AFTER_DUPLICATE = 8;

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
}

/** A batch's flat validated rows and, for an import's batch, each row's own created_at (see batchValues). */
export interface CopyBatch {
  flat: readonly unknown[];
  createdAt?: readonly (string | null)[] | undefined;
}

/** What the group stored: per batch, rows inserted and the conflicts among its duplicates. */
export interface CopyOutcome {
  inserted: number[];
  conflicts: TradeConflict[][];
}

/**
 * COPY text of every batch's rows, one chunk per batch. `staged`: each row led by its batch number and ended by
 * its own created_at (or \N), the staging table's layout; else the trades columns alone (created_at: the column
 * default, now()). Fields 5–10 (amounts, side, block time) passed the row checks as decimals, 'buy'/'sell' and
 * the normalized time: they hold nothing to escape. A string per batch grown by `+=`, then encoded: one join of
 * the whole group's lines cost several times more (a large string built and flattened at once).
 */
export function copyChunks(batches: readonly CopyBatch[], staged = true): Buffer[] {
  const chunks: Buffer[] = [];
  batches.forEach(({ flat, createdAt }, b) => {
    if (flat.length === 0) return;
    let text = '';
    for (let at = 0; at < flat.length; at += TRADE_FIELDS) {
      const row = `${field(flat[at])}\t${field(flat[at + 1])}\t${field(flat[at + 2])}\t${field(flat[at + 3])}\t${field(flat[at + 4])}\t${flat[at + 5]}\t${flat[at + 6]}\t${flat[at + 7]}\t${flat[at + 8]}\t${flat[at + 9]}\t${flat[at + 10]}`;
      text += staged ? `${b}\t${row}\t${field(createdAt?.[at / TRADE_FIELDS])}\n` : `${row}\n`;
    }
    chunks.push(Buffer.from(text));
  });
  return chunks;
}

async function copyIn(c: pg.Client, sql: string, chunks: readonly Buffer[]): Promise<void> {
  const stream = c.query(copyFrom(sql));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await finished(stream);
}

/** The writer's: groups left that skip the straight COPY (a recent one met a stored id). */
export interface CopyState {
  stagedGroupsLeft: number;
}

/** Inside the caller's transaction: stores every batch's trades (see the top of this file). */
export async function copyTrades(c: pg.Client, batches: readonly CopyBatch[], state: CopyState): Promise<CopyOutcome> {
  const rows = batches.map((b) => b.flat.length / TRADE_FIELDS);
  const none: TradeConflict[][] = batches.map(() => []);
  const total = rows.reduce((s, n) => s + n, 0);
  if (total === 0) return { inserted: rows, conflicts: none };
  // Rows with their own created_at (imports) go staged: the straight COPY leaves created_at to its default.
  const ownCreatedAt = batches.some((b) => b.createdAt?.some((x) => x !== null));
  if (!ownCreatedAt && state.stagedGroupsLeft === 0) {
    await c.query('SAVEPOINT straight_copy');
    try {
      await copyIn(c, COPY_STRAIGHT, copyChunks(batches, false));
      await c.query('RELEASE SAVEPOINT straight_copy');
      return { inserted: rows, conflicts: none };
    } catch (err) {
      if (sqlStateOf(err) !== '23505') throw err;
      // Released too, so what follows is the transaction's own work again (INSERTED_PER_BATCH reads its id).
      await c.query('ROLLBACK TO SAVEPOINT straight_copy');
      await c.query('RELEASE SAVEPOINT straight_copy');
      state.stagedGroupsLeft = STAGED_AFTER_DUPLICATE;
    }
  } else if (state.stagedGroupsLeft > 0) state.stagedGroupsLeft--;
  await c.query(CREATE_STAGING);
  await copyIn(c, COPY_STAGING, copyChunks(batches));
  const stored = (await c.query(INSERT_FROM_STAGING)).rowCount ?? 0;
  if (stored === total) return { inserted: rows, conflicts: none };
  const inserted = rows.map(() => 0);
  for (const r of (await c.query<{ b: number; n: number }>(INSERTED_PER_BATCH)).rows) inserted[r.b] = r.n;
  const withDuplicates = rows.flatMap((n, b) => (inserted[b]! < n ? [b] : []));
  const conflicts = batches.map((): TradeConflict[] => []);
  const found = await c.query<Record<string, string | number | null>>({
    text: FIND_STAGED_CONFLICTS,
    values: [withDuplicates],
  });
  for (const row of found.rows) {
    const [conflict] = conflictsOf([row]);
    if (conflict) conflicts[row.b as number]!.push(conflict);
  }
  return { inserted, conflicts };
}
