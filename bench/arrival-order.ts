// The order the funnel's writer stores a load run's batches in: planned (round-robin over the producers) or
// recorded after a real funnel run, read back from the rowids its trades got, so the ceiling can replay it.
//
// Why recorded: the writer drains each data port in turn, so in a real run most neighbouring batches come from
// the same producer (74–78 % of them with 8 producers here), not round-robin as planned. The B-tree cost depends
// on that order: the ceiling on the recorded order took 0.89–0.94 of its time on the round-robin one (4 funnel runs,
// the two orders alternating transaction by transaction).

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { planProducers, syntheticTradeId } from '../src/sim/synthetic-trades.ts';

export interface ArrivalShape {
  trades: number;
  collectors: number;
  duplicates: number;
  seed: number;
  /** The producers' batch size (runLoad's batchSize). */
  batchSize: number;
}

/** One producer batch of the load: the `seq`-th `batchSize` slice of producer `producer`'s stream (planProducers). */
export interface ProducerBatch {
  producer: number;
  seq: number;
  indices: number[];
}

export interface ArrivalOrder {
  /** Distinct trades of the load (planProducers). */
  unique: number;
  /** Every batch of the load, in arrival order. */
  batches: ProducerBatch[];
  /** Trade indices of every offered row, in arrival order (duplicates included). */
  indices: number[];
  /** Neighbouring batches from the same producer, of `batches.length - 1` neighbour pairs. */
  sameProducerNeighbours: number;
}

/** The load's batches, producer by producer, and its distinct trade count: one planProducers for both. */
function plannedBatches(
  trades: number,
  collectors: number,
  duplicates: number,
  batchSize: number,
): { unique: number; batches: ProducerBatch[] } {
  const { unique, plans } = planProducers(trades, collectors, duplicates);
  const batches: ProducerBatch[] = [];
  plans.forEach((plan, producer) => {
    for (let start = 0, seq = 0; start < plan.indices.length; start += batchSize, seq++) {
      batches.push({ producer, seq, indices: plan.indices.slice(start, start + batchSize) });
    }
  });
  return { unique, batches };
}

export function producerBatches(
  trades: number,
  collectors: number,
  duplicates: number,
  batchSize: number,
): ProducerBatch[] {
  return plannedBatches(trades, collectors, duplicates, batchSize).batches;
}

function orderOf(batches: readonly ProducerBatch[], unique: number): ArrivalOrder {
  let same = 0;
  for (let k = 1; k < batches.length; k++) if (batches[k]!.producer === batches[k - 1]!.producer) same++;
  return { unique, batches: [...batches], indices: batches.flatMap((b) => b.indices), sameProducerNeighbours: same };
}

/** As planned: producer 0 batch 0, producer 1 batch 0, …, producer N-1 batch 0, producer 0 batch 1, … */
export function roundRobinOrder(trades: number, collectors: number, duplicates: number, batchSize = 200): ArrivalOrder {
  const { unique, batches } = plannedBatches(trades, collectors, duplicates, batchSize);
  return orderOf(
    batches.sort((a, b) => a.seq - b.seq || a.producer - b.producer),
    unique,
  );
}

/**
 * The order a funnel run's writer stored the batches of `shape` in, read back from `dbPath` (that run's database).
 * The writer stores a batch's rows together and in order, skipping rows already there, so the rows a batch stored
 * got consecutive rowids. Walking the table in rowid order, a stretch of rows is batch B's if B holds them in that
 * order and every other row B holds (before, between or after them) was already stored (had a smaller rowid); of
 * the one or two batches holding a row, the one explaining the longer stretch wins (two that explain it equally
 * store the same rows in the same order, so either replays it alike). A batch that stored nothing (its rows were all
 * there) goes right after the last batch that stored one of its rows: anywhere earlier, a replay would store them.
 */
export function recordArrivalOrder(dbPath: string, shape: ArrivalShape): ArrivalOrder {
  const { unique, batches } = plannedBatches(shape.trades, shape.collectors, shape.duplicates, shape.batchSize);
  const storedAt = new Map<string, number>();
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let table: [number, string][];
  try {
    table = db.prepare('SELECT rowid, id FROM trades ORDER BY rowid').raw().all() as [number, string][];
  } finally {
    db.close();
  }
  for (const [rowid, id] of table) storedAt.set(id, rowid);
  // Per batch, the rowid of each of its rows; per trade id, where it sits: [batch, position] for each batch holding it.
  const rowidAt: number[][] = [];
  const holders = new Map<string, number[]>();
  const idOf = new Map<number, string>();
  batches.forEach((batch, b) => {
    rowidAt.push(
      batch.indices.map((i, pos) => {
        let id = idOf.get(i);
        if (id === undefined) {
          id = syntheticTradeId(i, shape.seed);
          idOf.set(i, id);
        }
        const rowid = storedAt.get(id);
        if (rowid === undefined)
          throw new Error(
            `${dbPath} lacks trade ${id} (producer ${batch.producer}, batch ${batch.seq}): not the database of a complete run of this load`,
          );
        const h = holders.get(id);
        if (h) h.push(b, pos);
        else holders.set(id, [b, pos]);
        return rowid;
      }),
    );
  });
  // Rows b holds at positions [from, to) were all stored before `start`.
  const storedBefore = (b: number, from: number, to: number, start: number) => {
    for (let p = from; p < to; p++) if (rowidAt[b]![p]! >= start) return false;
    return true;
  };
  /** How many rows from table[k] on batch b explains as the rows it stored (0: none). */
  const stretch = (b: number, first: number, k: number) => {
    const start = table[k]![0];
    if (!storedBefore(b, 0, first, start)) return 0;
    let pos = first;
    let length = 1;
    for (; k + length < table.length && table[k + length]![0] === table[k + length - 1]![0] + 1; length++) {
      const h = holders.get(table[k + length]![1]);
      const at = h === undefined ? -1 : h[0] === b ? 1 : h[2] === b ? 3 : -1;
      if (at < 0 || h![at]! <= pos || !storedBefore(b, pos + 1, h![at]!, start)) break;
      pos = h![at]!;
    }
    // And after its stretch: a batch that still had a new row would have stored it right there.
    return storedBefore(b, pos + 1, rowidAt[b]!.length, start) ? length : 0;
  };

  const blockStart = new Array<number>(batches.length).fill(Number.NaN);
  for (let k = 0; k < table.length; ) {
    const h = holders.get(table[k]![1]);
    let best = -1;
    let bestLength = 1; // a row no batch of this load holds (or none can explain) is stepped over
    for (let c = 0; h && c < h.length; c += 2) {
      const length = stretch(h[c]!, h[c + 1]!, k);
      if (length > bestLength || (best < 0 && length === bestLength)) [best, bestLength] = [h[c]!, length];
    }
    if (best >= 0 && Number.isNaN(blockStart[best])) blockStart[best] = table[k]![0];
    k += bestLength;
  }
  const key = rowidAt.map((rowids, b) => (Number.isNaN(blockStart[b]) ? Math.max(...rowids) + 0.5 : blockStart[b]!));
  const order = batches.map((_, b) => b).sort((x, y) => key[x]! - key[y]! || x - y);
  return orderOf(
    order.map((b) => batches[b]!),
    unique,
  );
}

/** Writes the order as (producer, batch) pairs of little-endian int32: the format the ceiling's --arrival reads. */
export function writeArrivalFile(file: string, order: Pick<ArrivalOrder, 'batches'>): void {
  const buf = Buffer.alloc(order.batches.length * 8);
  order.batches.forEach((b, k) => {
    buf.writeInt32LE(b.producer, k * 8);
    buf.writeInt32LE(b.seq, k * 8 + 4);
  });
  fs.writeFileSync(file, buf);
}

/** Reads an arrival file for `shape`: it must name every batch of the load exactly once, or the ceiling would replay other rows. */
export function readArrivalFile(file: string, shape: Omit<ArrivalShape, 'seed'>): ArrivalOrder {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read arrival file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const { unique, batches: planned } = plannedBatches(
    shape.trades,
    shape.collectors,
    shape.duplicates,
    shape.batchSize,
  );
  const redo = 'record it with the same --trades, --collectors, --duplicates and --batch';
  if (buf.length !== planned.length * 8) {
    throw new Error(
      `arrival file ${file} has ${buf.length} bytes; this load's ${planned.length} batches need ${planned.length * 8} (${redo})`,
    );
  }
  const byKey = new Map(planned.map((b) => [`${b.producer}/${b.seq}`, b]));
  const ordered: ProducerBatch[] = [];
  for (let k = 0; k < planned.length; k++) {
    const key = `${buf.readInt32LE(k * 8)}/${buf.readInt32LE(k * 8 + 4)}`;
    const batch = byKey.get(key);
    if (!batch)
      throw new Error(
        `arrival file ${file}, entry ${k}: batch ${key} (producer/batch) is not in this load or comes twice (${redo})`,
      );
    byKey.delete(key);
    ordered.push(batch);
  }
  return orderOf(ordered, unique);
}
