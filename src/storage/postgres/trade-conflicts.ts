// Finds conflicts among a batch's duplicates on PostgreSQL: a trade id already stored with other contents. The
// insert has run (ON CONFLICT DO NOTHING); the batch's rows are then joined with the stored ones by id and the
// candidates come back with both versions (numeric and timestamptz comparisons in SQL); the one rule
// (storage/conflict-rule.ts) decides which fields differ.

import type pg from 'pg';
import type { TradeConflict } from '../../protocol/messages.ts';
import { TRADE_AMOUNT_COLUMNS, TRADE_FIELD_COLUMNS } from '../../trades/trade-columns.ts';
import { differingFields } from '../conflict-rule.ts';
import { tradeArrays } from './trade-statements.ts';

/** TradeRow fields after the id, as [TradeRecord name, trades column]. */
const FIELDS = TRADE_FIELD_COLUMNS.slice(1);
const AMOUNTS = new Set<string>(TRADE_AMOUNT_COLUMNS);

/** A received value (text, or int8 for the block number) in the stored column's type. */
function received(col: string): string {
  if (AMOUNTS.has(col)) return `u.${col}::numeric`;
  if (col === 'block_timestamp') return `u.${col}::timestamptz`;
  return `u.${col}`;
}

/** Both versions as text, the stored block time in the stored format (UTC, microseconds) like the received one. */
function keptText(col: string): string {
  if (col === 'block_timestamp') return `to_char(t.${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
  return `t.${col}::text`;
}

// `<>` is NULL when either side is, and `NULL OR x` is x: a missing field never makes a row differ.
/** Whether received row `u` differs from stored row `t` in SQL (candidates; the rule decides). */
export const DIFFERS_SQL = FIELDS.map(([, col]) => `t.${col} <> ${received(col)}`).join(' OR ');

/** Both versions of each compared field as text, for conflictsOf. */
export const RECEIVED_AND_KEPT_SQL = `${FIELDS.map(([, col]) => `${keptText(col)} AS kept_${col}`).join(', ')},
  ${FIELDS.map(([, col]) => `u.${col}::text AS received_${col}`).join(', ')}`;

/** Prepared once per connection by name; takes the same arrays as INSERT_TRADES (tradeArrays). */
export const FIND_TRADE_CONFLICTS = {
  name: 'gecko_find_trade_conflicts',
  text: `SELECT u.id, ${RECEIVED_AND_KEPT_SQL}
FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::text[], $11::text[], $12::text[])
  AS u(${TRADE_FIELD_COLUMNS.map(([, col]) => col).join(', ')}, ca)
JOIN trades t ON t.id = u.id
WHERE ${DIFFERS_SQL}`,
};

/** Candidate rows (id and RECEIVED_AND_KEPT_SQL's columns) as the conflicts the one rule finds among them. */
export function conflictsOf(rows: readonly Record<string, unknown>[]): TradeConflict[] {
  return rows
    .map((row) => {
      const kept: Record<string, string | null> = {};
      const got: Record<string, string | null> = {};
      for (const [name, col] of FIELDS) {
        kept[name] = row[`kept_${col}`] as string | null;
        got[name] = row[`received_${col}`] as string | null;
      }
      const differs = differingFields(kept, got);
      return { id: row.id as string, poolId: String(got.poolId ?? kept.poolId), differs, kept, received: got };
    })
    .filter((c) => c.differs.length > 0);
}

/**
 * Inside the caller's transaction, after the rows at `offsets` of `flat` were inserted: those whose id is stored
 * with other contents (a second version in the same batch included), with both versions.
 */
export async function findTradeConflicts(
  c: pg.Client,
  flat: readonly unknown[],
  offsets: ArrayLike<number>,
): Promise<TradeConflict[]> {
  if (offsets.length === 0) return [];
  const r = await c.query<Record<string, string | null>>({
    ...FIND_TRADE_CONFLICTS,
    values: tradeArrays(flat, offsets),
  });
  return conflictsOf(r.rows);
}
