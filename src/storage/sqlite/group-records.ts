// One group's records written inside the SQLite writer's open transaction: each batch's dexes and pools, then its
// checked trades ordered (by id, or batch by batch) and inserted in multi-row runs that never mix batches (so each
// batch's inserted count stays exact), a minimal pools row added for any pool the foreign key finds missing; then
// each batch's gaps and cursors.

import { isRowLevelError, sqliteCodeOf } from '../../errors.ts';
import type { WriteBatchMessage } from '../../protocol/messages.ts';
import { TRADE_FIELDS } from '../../trades/trade-validation.ts';
import type { BatchOutcome, GroupEntry } from '../write-engine.ts';
import {
  CREATED_AT_PARAM,
  eachRecord,
  MULTI_ROW_CHUNK,
  storePoolMetadata,
  TRADE_BIND_VALUES,
  type WriteStatements,
  writeTradeBindValues,
} from './trade-statements.ts';

/**
 * A group's valid trade rows: per batch (owner) a flat value array and its rows' own created_at when the batch
 * carries them (imports; null: the write time); per row, in insert order, its owner and offset.
 */
interface GroupRows {
  values: unknown[][];
  createdAt: ((string | null)[] | undefined)[];
  owners: Uint32Array;
  offsets: Uint32Array;
}

/**
 * Writes every record of the group; entry i's outcome receives batch i's counts and rejected rows. Row-level
 * failures are caught per row; anything else (lock, I/O, full disk) is thrown for the caller to roll back.
 */
export function writeGroupRecords(
  statements: WriteStatements,
  entries: readonly GroupEntry[],
  now: string,
  sortById: boolean,
  latest: string,
): void {
  const outcomes = entries.map((e) => e.out);
  const rows = groupRows(entries, sortById);
  // Pools before the trades that reference them: the batches' metadata (insertRows adds a minimal row for others).
  for (const e of entries) storePoolMetadata(statements, e.q.batch, now, e.out.rejected);
  insertRows(statements, rows, outcomes, now);
  for (const e of entries) applyStateRecords(statements, e.q.batch, e.out, now, latest);
}

/** The insert order over every entry's checked rows: by id when sortGroupById, else batch by batch. */
function groupRows(entries: readonly GroupEntry[], sortById: boolean): GroupRows {
  const values = entries.map((e) => e.flat);
  const createdAt = entries.map((e) => e.createdAt);
  let total = 0;
  for (const flat of values) total += flat.length / TRADE_FIELDS;
  // 32 bits: batches without trades add no rows, so a group's batch count is not bounded by its row limit.
  const owners = new Uint32Array(total);
  const offsets = new Uint32Array(total);
  for (let owner = 0, g = 0; owner < values.length; owner++) {
    for (let at = 0; at < values[owner]!.length; at += TRADE_FIELDS, g++) {
      owners[g] = owner;
      offsets[g] = at;
    }
  }
  if (sortById && total > 1) {
    // Inserting in key order avoids B-tree page splits in the middle of the table.
    const ids: string[] = new Array(total);
    const order: number[] = new Array(total);
    for (let g = 0; g < total; g++) {
      ids[g] = values[owners[g]!]![offsets[g]!] as string;
      order[g] = g;
    }
    order.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
    return {
      values,
      createdAt,
      owners: owners.map((_, k) => owners[order[k]!]!),
      offsets: offsets.map((_, k) => offsets[order[k]!]!),
    };
  }
  return { values, createdAt, owners, offsets };
}

// One parameter array per statement size, reused: the statement binds every value before run() returns.
const paramArrays = new Map<number, unknown[]>();
function paramsArray(length: number): unknown[] {
  let a = paramArrays.get(length);
  if (!a) {
    a = new Array(length);
    paramArrays.set(length, a);
  }
  return a;
}

/**
 * Inserts runs of rows that belong to the same batch with one multi-row statement each, so `changes` still
 * tells that batch's inserted count. A run that hits a row-level error is redone row by row to find the row.
 */
function insertRows(s: WriteStatements, rows: GroupRows, outcomes: BatchOutcome[], now: string): void {
  const { values, owners, offsets } = rows;
  const named = { [CREATED_AT_PARAM]: now };
  for (let i = 0; i < owners.length; ) {
    const owner = owners[i]!;
    let j = i + 1;
    while (j < owners.length && j - i < MULTI_ROW_CHUNK && owners[j] === owner) j++;
    const out = outcomes[owner]!;
    const flat = values[owner]!;
    // An import batch binds each row's own created_at; every other batch binds the write time once.
    const own = rows.createdAt[owner];
    const width = own ? TRADE_BIND_VALUES + 1 : TRADE_BIND_VALUES;
    const params = paramsArray((j - i) * width);
    for (let k = i, p = 0; k < j; k++) {
      const at = offsets[k]!;
      p = writeTradeBindValues(params, p, flat, at);
      if (own) params[p++] = own[at / TRADE_FIELDS] ?? now;
    }
    const run = () =>
      (own ? s.insertTrades(j - i, true).run(params) : s.insertTrades(j - i).run(params, named)).changes;
    try {
      const changes = withPools(s, run, () => {
        const pools = new Set<string>();
        for (let k = i; k < j; k++) s.ensurePool(flat[offsets[k]! + 1] as string, now, pools);
      });
      out.inserted += changes;
      out.duplicates += j - i - changes;
      noteConflicts(s, flat, offsets, i, j, out);
    } catch (err) {
      if (!isRowLevelError(err)) throw err;
      s.conflicts.takeNoted(); // notes of the failed statement's rows: they are redone one by one
      for (let k = i; k < j; k++) {
        const at = offsets[k]!;
        const one: unknown[] = new Array(width);
        const p = writeTradeBindValues(one, 0, flat, at);
        if (own) one[p] = own[at / TRADE_FIELDS] ?? now;
        try {
          const runOne = () => (own ? s.insertTrades(1, true).run(one) : s.insertTrade.run(one, named)).changes;
          if (withPools(s, runOne, () => s.ensurePool(flat[at + 1] as string, now)) === 1) out.inserted++;
          else {
            out.duplicates++;
            noteConflicts(s, flat, offsets, k, k + 1, out);
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

/**
 * `run()`; when the foreign key finds a trade's pool has no pools row yet, `addPools()` (a minimal row each) and
 * `run()` once more. Pools are added on demand so that rows whose pools exist cost no probe.
 */
function withPools(s: WriteStatements, run: () => number, addPools: () => void): number {
  try {
    return run();
  } catch (err) {
    if (sqliteCodeOf(err) !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw err;
    s.conflicts.takeNoted(); // the failed statement's notes: its rows run again
    addPools();
    return run();
  }
}

/** Reads back the conflicts the INSERT of rows `from … to` noted (rare), with both versions, into `out`. */
function noteConflicts(
  s: WriteStatements,
  flat: readonly unknown[],
  offsets: Uint32Array,
  from: number,
  to: number,
  out: BatchOutcome,
): void {
  const ids = s.conflicts.takeNoted();
  if (!ids) return;
  const at: number[] = [];
  for (let k = from; k < to; k++) if (ids.has(flat[offsets[k]!] as string)) at.push(offsets[k]!);
  const found = s.conflicts.find(flat, at);
  if (found.length === 0) return;
  if (out.conflicts) out.conflicts.push(...found);
  else out.conflicts = found;
}

function applyStateRecords(
  s: WriteStatements,
  batch: WriteBatchMessage,
  out: BatchOutcome,
  now: string,
  latest: string,
): void {
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
  if (!(batch.gapFills || batch.candles || batch.reconciles)) return;
  const f = s.fills;
  eachRecord(
    batch.gapFills,
    (g) => g?.poolId,
    (g) => f.gapFill(g),
    out.rejected,
  );
  eachRecord(
    batch.candles,
    (c) => c?.poolId,
    (c) => f.candle(c),
    out.rejected,
  );
  eachRecord(
    batch.reconciles,
    (r) => r?.poolId,
    (r) => f.reconcile(r),
    out.rejected,
  );
}
