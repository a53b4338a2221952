// One group's records written inside the writer's open transaction: each batch's trades validated and flattened,
// ordered (by id, or batch by batch), inserted in multi-row runs that never mix batches (so each batch's
// inserted count stays exact); then each batch's pools, dexes, gaps and cursors.

import { isRowLevelError } from '../errors.ts';
import type { RejectedRow, TradeConflict, WriteBatchMessage } from '../protocol/messages.ts';
import {
  appendTradeBindValues,
  CREATED_AT_PARAM,
  eachRecord,
  MULTI_ROW_CHUNK,
  storePoolMetadata,
  type WriteStatements,
} from '../sqlite/trade-statements.ts';
import { fastPathValues } from '../trades/packed-batch-check.ts';
import { PackedBatchError, unpackTradeValues } from '../trades/trade-packing.ts';
import { checkTradeValuesAt, EARLIEST_BLOCK_TIME, TRADE_FIELDS, validateTrade } from '../trades/trade-validation.ts';

/** What became of one batch's records in the transaction: what its ack reports. */
export interface BatchOutcome {
  inserted: number;
  duplicates: number;
  rejected: RejectedRow[];
  /** Duplicates stored with other contents (SQLite writer). */
  conflicts?: TradeConflict[];
}

/** A batch of the group, in the order the group commits them (its index is its owner number). */
export interface GroupBatch {
  batch: WriteBatchMessage;
}

/** A group's valid trade rows: per batch (owner) a flat value array; per row its owner and offset; the insert order. */
interface GroupRows {
  values: unknown[][];
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
  latest: string,
): void {
  const rows = validGroupRows(group, outcomes, sortById, latest);
  insertRows(statements, rows, outcomes, now);
  group.forEach((q, owner) => applyOtherRecords(statements, q.batch, outcomes[owner]!, now, latest));
}

/**
 * Every batch's trades as one flat array of bind-ready values (TRADE_FIELDS per valid row, validated in
 * place), and the insert order over all of them: by id when sortGroupById, else batch by batch.
 */
function validGroupRows(
  group: readonly GroupBatch[],
  outcomes: BatchOutcome[],
  sortById: boolean,
  latest: string,
): GroupRows {
  const values: unknown[][] = [];
  let total = 0;
  group.forEach((q, owner) => {
    const flat = batchValues(q.batch, outcomes[owner]!, latest);
    values.push(flat);
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
  return { values, owners, offsets, order };
}

/**
 * One batch's valid trades, flat. A packed batch whose rows all pass the one-regex check is taken whole
 * (packed-batch-check.ts); any other batch is validated row by row, in place, bad rows going to its rejected list.
 * The PostgreSQL writer validates with it too, so both stores take and refuse exactly the same rows. `latest`
 * (latestAcceptedTime): a row with a later block time is refused as in the future.
 */
export function batchValues(batch: WriteBatchMessage, out: BatchOutcome, latest: string): unknown[] {
  let flat: unknown[];
  if (batch.packedTrades) {
    const fast = fastPathValues(batch.packedTrades.data, batch.packedTrades.count);
    if (fast && timesPlausible(fast, latest)) return fast;
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
      const v = validateTrade(batch.trades[i], i, latest);
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
    const bad = checkTradeValuesAt(flat, at, i, latest);
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

/** Every stored-format block time of a fast-path batch lies between EARLIEST_BLOCK_TIME and `latest`. */
function timesPlausible(flat: readonly (string | null)[], latest: string): boolean {
  for (let at = 10; at < flat.length; at += TRADE_FIELDS) {
    const ts = flat[at]!;
    if (ts > latest || ts < EARLIEST_BLOCK_TIME) return false;
  }
  return true;
}

/**
 * Inserts runs of rows that belong to the same batch with one multi-row statement each, so `changes` still
 * tells that batch's inserted count. A run that hits a row-level error is redone row by row to find the row.
 */
function insertRows(s: WriteStatements, rows: GroupRows, outcomes: BatchOutcome[], now: string): void {
  const { values, owners, offsets, order } = rows;
  const named = { [CREATED_AT_PARAM]: now };
  for (let i = 0; i < order.length; ) {
    const owner = owners[order[i]!]!;
    let j = i + 1;
    while (j < order.length && j - i < MULTI_ROW_CHUNK && owners[order[j]!] === owner) j++;
    const out = outcomes[owner]!;
    const flat = values[owner]!;
    const params: unknown[] = [];
    for (let k = i; k < j; k++) appendTradeBindValues(params, flat, offsets[order[k]!]!);
    try {
      const changes = s.insertTrades(j - i).run(params, named).changes;
      out.inserted += changes;
      out.duplicates += j - i - changes;
      if (changes < j - i) {
        const chunk: number[] = [];
        for (let k = i; k < j; k++) chunk.push(offsets[order[k]!]!);
        noteConflicts(s, flat, chunk, out);
      }
    } catch (err) {
      if (!isRowLevelError(err)) throw err;
      for (let k = i; k < j; k++) {
        const at = offsets[order[k]!]!;
        const one: unknown[] = [];
        appendTradeBindValues(one, flat, at);
        try {
          if (s.insertTrade.run(one, named).changes === 1) out.inserted++;
          else {
            out.duplicates++;
            noteConflicts(s, flat, [at], out);
          }
        } catch (e) {
          if (!isRowLevelError(e)) throw e;
          out.rejected.push({ id: flat[at] as string, reason: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    i = j;
  }
}

function noteConflicts(s: WriteStatements, flat: readonly unknown[], offsets: number[], out: BatchOutcome): void {
  const found = s.conflicts.find(flat, offsets);
  if (found.length === 0) return;
  if (out.conflicts) out.conflicts.push(...found);
  else out.conflicts = found;
}

function applyOtherRecords(
  s: WriteStatements,
  batch: WriteBatchMessage,
  out: BatchOutcome,
  now: string,
  latest: string,
): void {
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
    (c) => s.upsertCursor(c, now, latest),
    out.rejected,
  );
}
