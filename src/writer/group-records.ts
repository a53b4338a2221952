// One group's records written inside the writer's open transaction: each batch's trades validated and flattened,
// ordered (by id, or batch by batch), inserted in multi-row runs that never mix batches (so each batch's
// inserted count stays exact); then each batch's pools, dexes, gaps and cursors.

import { isRowLevelError } from '../errors.ts';
import type { RejectedRow, WriteBatchMessage } from '../protocol/messages.ts';
import {
  CREATED_AT_PARAM,
  eachRecord,
  MULTI_ROW_CHUNK,
  storePoolMetadata,
  TRADE_BIND_VALUES,
  type WriteStatements,
  writeTradeBindValues,
} from '../sqlite/trade-statements.ts';
import { fastPathValues } from '../trades/packed-batch-check.ts';
import { AMOUNTS_PER_ROW, amountsAgree } from '../trades/trade-amounts.ts';
import { PackedBatchError, unpackTradeValues } from '../trades/trade-packing.ts';
import { checkTradeValuesAt, TRADE_FIELDS, validateTrade } from '../trades/trade-validation.ts';

/** What became of one batch's records in the transaction: what its ack reports. */
export interface BatchOutcome {
  inserted: number;
  duplicates: number;
  rejected: RejectedRow[];
}

/** A batch of the group, in the order the group commits them (its index is its owner number). */
export interface GroupBatch {
  batch: WriteBatchMessage;
}

/**
 * A group's valid trade rows: per batch (owner) a flat value array and the sender's checked amount numbers (or
 * null: parse them here); per row its owner and offset; the insert order.
 */
interface GroupRows {
  values: unknown[][];
  amounts: (Float64Array | null)[];
  owners: Uint32Array;
  offsets: Uint32Array;
  order: number[];
}

/**
 * Writes every record of the group; `outcomes[i]` receives batch i's counts and rejected rows. Row-level
 * failures are caught per row; anything else (lock, I/O, full disk) is thrown for the caller to roll back.
 */
export function writeGroupRecords(
  statements: WriteStatements,
  group: readonly GroupBatch[],
  outcomes: BatchOutcome[],
  now: string,
  sortById: boolean,
): void {
  const rows = validGroupRows(group, outcomes, sortById);
  insertRows(statements, rows, outcomes, now);
  group.forEach((q, owner) => applyOtherRecords(statements, q.batch, outcomes[owner]!, now));
}

/**
 * Every batch's trades as one flat array of bind-ready values (TRADE_FIELDS per valid row, validated in
 * place), and the insert order over all of them: by id when sortGroupById, else batch by batch.
 */
function validGroupRows(group: readonly GroupBatch[], outcomes: BatchOutcome[], sortById: boolean): GroupRows {
  const values: unknown[][] = [];
  const amounts: (Float64Array | null)[] = [];
  let total = 0;
  group.forEach((q, owner) => {
    const flat = batchValues(q.batch, outcomes[owner]!);
    values.push(flat);
    amounts.push(checkedAmounts(q.batch, flat));
    total += flat.length / TRADE_FIELDS;
  });
  // 32 bits: batches without trades add no rows, so a group's batch count is not bounded by its row limit.
  const owners = new Uint32Array(total);
  const offsets = new Uint32Array(total);
  for (let owner = 0, g = 0; owner < values.length; owner++) {
    for (let at = 0; at < values[owner]!.length; at += TRADE_FIELDS, g++) {
      owners[g] = owner;
      offsets[g] = at;
    }
  }
  const order: number[] = new Array(total);
  for (let g = 0; g < total; g++) order[g] = g;
  if (sortById && total > 1) {
    // Inserting in key order avoids B-tree page splits in the middle of the table.
    const ids: string[] = new Array(total);
    for (let g = 0; g < total; g++) ids[g] = values[owners[g]!]![offsets[g]!] as string;
    order.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
  }
  return { values, amounts, owners, offsets, order };
}

/**
 * The sender's amount numbers when they line up with `flat` (every row of the batch kept: none rejected) and
 * each agrees with its text; else null, and the rows' numbers are parsed from the text.
 */
function checkedAmounts(batch: WriteBatchMessage, flat: readonly unknown[]): Float64Array | null {
  const a = batch.packedTrades?.amounts;
  if (!(a instanceof Float64Array) || flat.length !== batch.packedTrades!.count * TRADE_FIELDS) return null;
  return amountsAgree(flat, a) ? a : null;
}

/**
 * One batch's valid trades, flat. A packed batch whose rows all pass the one-regex check is taken whole
 * (packed-batch-check.ts); any other batch is validated row by row, in place, bad rows going to its rejected list.
 * The PostgreSQL writer validates with it too, so both stores take and refuse exactly the same rows.
 */
export function batchValues(batch: WriteBatchMessage, out: BatchOutcome): unknown[] {
  let flat: unknown[];
  if (batch.packedTrades) {
    const fast = fastPathValues(batch.packedTrades.data, batch.packedTrades.count);
    if (fast) return fast;
    try {
      flat = unpackTradeValues(batch.packedTrades.data, batch.packedTrades.count);
    } catch (err) {
      if (!(err instanceof PackedBatchError)) throw err;
      for (let i = 0; i < batch.packedTrades.count; i++) out.rejected.push({ id: `#${i}`, reason: err.message });
      return [];
    }
  } else if (batch.trades) {
    flat = [];
    for (let i = 0; i < batch.trades.length; i++) {
      const v = validateTrade(batch.trades[i], i);
      // Already checked: push the row's values; a bad one keeps its reason and is skipped below.
      if (v.ok) for (const x of v.row) flat.push(x);
      else out.rejected.push({ id: v.id, reason: v.reason });
    }
    return flat;
  } else {
    return [];
  }
  let w = 0;
  for (let at = 0, i = 0; at < flat.length; at += TRADE_FIELDS, i++) {
    const bad = checkTradeValuesAt(flat, at, i);
    if (bad) {
      out.rejected.push(bad);
      continue;
    }
    if (w !== at) for (let f = 0; f < TRADE_FIELDS; f++) flat[w + f] = flat[at + f];
    w += TRADE_FIELDS;
  }
  flat.length = w;
  return flat;
}

/**
 * Inserts runs of rows that belong to the same batch with one multi-row statement each, so `changes` still
 * tells that batch's inserted count. A run that hits a row-level error is redone row by row to find the row.
 */
function insertRows(s: WriteStatements, rows: GroupRows, outcomes: BatchOutcome[], now: string): void {
  const { values, amounts, owners, offsets, order } = rows;
  const named = { [CREATED_AT_PARAM]: now };
  for (let i = 0; i < order.length; ) {
    const owner = owners[order[i]!]!;
    let j = i + 1;
    while (j < order.length && j - i < MULTI_ROW_CHUNK && owners[order[j]!] === owner) j++;
    const out = outcomes[owner]!;
    const flat = values[owner]!;
    const nums = amounts[owner]!;
    const params: unknown[] = new Array((j - i) * TRADE_BIND_VALUES);
    for (let k = i, p = 0; k < j; k++) {
      const at = offsets[order[k]!]!;
      p = writeTradeBindValues(params, p, flat, at, nums, (at / TRADE_FIELDS) * AMOUNTS_PER_ROW);
    }
    try {
      const changes = s.insertTrades(j - i).run(params, named).changes;
      out.inserted += changes;
      out.duplicates += j - i - changes;
    } catch (err) {
      if (!isRowLevelError(err)) throw err;
      for (let k = i; k < j; k++) {
        const at = offsets[order[k]!]!;
        const one: unknown[] = new Array(TRADE_BIND_VALUES);
        writeTradeBindValues(one, 0, flat, at, nums, (at / TRADE_FIELDS) * AMOUNTS_PER_ROW);
        try {
          if (s.insertTrade.run(one, named).changes === 1) out.inserted++;
          else out.duplicates++;
        } catch (e) {
          if (!isRowLevelError(e)) throw e;
          out.rejected.push({ id: flat[at] as string, reason: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    i = j;
  }
}

function applyOtherRecords(s: WriteStatements, batch: WriteBatchMessage, out: BatchOutcome, now: string): void {
  storePoolMetadata(s, batch, now, out.rejected);
  eachRecord(
    batch.gaps,
    (g) => g?.poolId,
    (g) => s.insertGap(g),
    out.rejected,
  );
  eachRecord(
    batch.cursors,
    (c) => c?.poolId,
    (c) => s.upsertCursor(c, now),
    out.rejected,
  );
}
