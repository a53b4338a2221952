// The funnel's arrival order, read back from a database: batches stored in a known order (as the writer stores
// them: batch by batch, each batch's rows in order) come back in that order, and a replay of what was read gives
// every trade the rowid it had. Then a real funnel run (real writer and producer threads) is read back the same way.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type ArrivalShape,
  type ProducerBatch,
  producerBatches,
  readArrivalFile,
  recordArrivalOrder,
  roundRobinOrder,
  writeArrivalFile,
} from '../../../bench/arrival-order.ts';
import { openAsWriter } from '../../../bench/ceiling.ts';
import { runLoad } from '../../../bench/load-run.ts';
import { syntheticTrade, syntheticTradeId } from '../../../src/sim/synthetic-trades.ts';
import {
  CREATED_AT_PARAM,
  storedTimestamp,
  tradeBindValues,
  tradeInsertSql,
  WriteStatements,
} from '../../../src/storage/sqlite/trade-statements.ts';
import { validateTrade } from '../../../src/trades/trade-validation.ts';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-arrival-');
const shape: ArrivalShape = { trades: 3000, collectors: 3, duplicates: 0.3, seed: 7, batchSize: 100 };
let fileNo = 0;

/** Stores the batches in the given order, one at a time, as the writer does; returns the file. */
function storeInOrder(batches: readonly ProducerBatch[]): string {
  const file = path.join(dir, `stored-${fileNo++}.db`);
  const { db } = openAsWriter(file);
  const insert = db.prepare(tradeInsertSql());
  const pools = new WriteStatements(db);
  const named = { [CREATED_AT_PARAM]: storedTimestamp() };
  db.transaction(() => {
    for (const b of batches) {
      for (const i of b.indices) {
        const v = validateTrade(syntheticTrade(i, { seed: shape.seed }), i);
        if (!v.ok) throw new Error(v.reason);
        pools.ensurePool(v.row[1], named.createdAt);
        insert.run(tradeBindValues(v.row), named);
      }
    }
  })();
  db.close();
  return file;
}

function idsByRowid(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id FROM trades ORDER BY rowid').pluck().all() as string[];
  } finally {
    db.close();
  }
}

const key = (b: ProducerBatch) => `${b.producer}/${b.seq}`;

describe('recordArrivalOrder', () => {
  it('names trades by syntheticTradeId, the id syntheticTrade gives them', () => {
    for (const [i, seed] of [
      [0, 7],
      [1, 7],
      [12_345, 7],
      [12_345, 8],
      [199_999, 1],
    ] as const)
      expect(syntheticTradeId(i, seed)).toBe(syntheticTrade(i, { seed }).id);
    expect(syntheticTradeId(5)).toBe(syntheticTrade(5).id);
  });

  it('reads back the order batches were stored in, and its replay gives every trade the same rowid', () => {
    // Clumps of 1–4 batches per producer, as the writer drains one port and then the next.
    const queues = [0, 1, 2].map((p) =>
      producerBatches(shape.trades, shape.collectors, shape.duplicates, shape.batchSize).filter(
        (b) => b.producer === p,
      ),
    );
    const stored: ProducerBatch[] = [];
    for (let turn = 0; queues.some((q) => q.length); turn++) {
      const q = queues[(turn * 2) % 3]!;
      stored.push(...q.splice(0, 1 + (turn % 4)));
    }
    const file = storeInOrder(stored);

    const read = recordArrivalOrder(file, shape);
    expect(read.batches.map(key).sort()).toEqual(stored.map(key).sort());
    // Batches that stored rows come back in their order; one that only repeated stored rows may sit elsewhere.
    const storing = new Set(
      stored.filter((b, k) => b.indices.some((i) => !stored.slice(0, k).some((e) => e.indices.includes(i)))).map(key),
    );
    expect(read.batches.map(key).filter((k) => storing.has(k))).toEqual(stored.map(key).filter((k) => storing.has(k)));
    expect(idsByRowid(storeInOrder(read.batches))).toEqual(idsByRowid(file));

    const roundRobin = roundRobinOrder(shape.trades, shape.collectors, shape.duplicates, shape.batchSize);
    expect(roundRobin.sameProducerNeighbours).toBe(0);
    expect(read.sameProducerNeighbours).toBeGreaterThan(stored.length / 3);
    expect(idsByRowid(storeInOrder(roundRobin.batches))).not.toEqual(idsByRowid(file));
  });

  it('says which trade is missing when the database is not from this load', () => {
    const file = storeInOrder(
      producerBatches(shape.trades, shape.collectors, shape.duplicates, shape.batchSize).slice(0, 5),
    );
    expect(() => recordArrivalOrder(file, shape)).toThrow(
      /lacks trade solana_\S+ \(producer \d, batch \d+\): not the database of a complete run of this load/,
    );
  });

  it('reads back a real funnel run (writer and producer threads): its replay gives nearly every trade the rowid the writer gave it', async () => {
    const load = { trades: 8000, collectors: 4, duplicates: 0.3, seed: 7, batchSize: 100 };
    const file = path.join(dir, 'funnel.db');
    const r = await runLoad({ manager: 'funnel', ...load, dbPath: file });
    expect(r.stored).toBe(r.unique);
    const read = recordArrivalOrder(file, load);
    expect(read.batches).toHaveLength(80);
    // A stretch two batches explain equally well can be misread: nearly every trade, not every one, is promised.
    const funnelIds = idsByRowid(file);
    const sameRowid = (ids: string[]) => ids.filter((id, k) => funnelIds[k] === id).length / funnelIds.length;
    expect(sameRowid(idsByRowid(storeInOrder(read.batches)))).toBeGreaterThan(0.99);
    expect(
      sameRowid(
        idsByRowid(
          storeInOrder(roundRobinOrder(load.trades, load.collectors, load.duplicates, load.batchSize).batches),
        ),
      ),
    ).toBeLessThan(0.9);
  });
});

describe('arrival files', () => {
  const planned = roundRobinOrder(shape.trades, shape.collectors, shape.duplicates, shape.batchSize);

  it('round-trip the batch order', () => {
    const file = path.join(dir, 'order.bin');
    const reversed = { ...planned, batches: [...planned.batches].reverse() };
    writeArrivalFile(file, reversed);
    const back = readArrivalFile(file, shape);
    expect(back.batches.map(key)).toEqual(reversed.batches.map(key));
    expect(back.indices).toEqual(reversed.batches.flatMap((b) => b.indices));
  });

  it.each([
    ['a missing file', (f: string) => `${f}.missing`, /^cannot read arrival file .*\.missing: ENOENT/],
    [
      'a file of another load',
      (f: string) => {
        writeArrivalFile(f, roundRobinOrder(1000, 3, 0.3, 100));
        return f;
      },
      /has \d+ bytes; this load's 30 batches need 240 \(record it with the same --trades/,
    ],
    [
      'a batch named twice',
      (f: string) => {
        writeArrivalFile(f, { ...planned, batches: [planned.batches[0]!, ...planned.batches.slice(0, -1)] });
        return f;
      },
      /entry 1: batch 0\/0 \(producer\/batch\) is not in this load or comes twice/,
    ],
  ])('refuse %s with the reason', (_what, make, reason) => {
    const file = make(path.join(dir, `bad-${fileNo++}.bin`));
    expect(() => readArrivalFile(file, shape)).toThrow(reason);
    if (fs.existsSync(file)) fs.rmSync(file);
  });
});

describe('bench/ceiling.ts --arrival', () => {
  const ceiling = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [compiled('bench/ceiling.ts'), '--trades', '3000', '--collectors', '3', '--batch', '100', '--seed', '7', ...args],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );

  it('replays a recorded order and says so', () => {
    const file = path.join(dir, 'replay.bin');
    const batches = producerBatches(shape.trades, shape.collectors, shape.duplicates, shape.batchSize);
    writeArrivalFile(file, { batches });
    const r = ceiling('--arrival', file, '--json');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { orderDescription: string; stored: number; unique: number };
    expect(out.orderDescription).toMatch(
      /^funnel arrival order, recorded: .*; 27 of 29 neighbouring batches came from the same producer$/,
    );
    expect(out.stored).toBe(out.unique);
  });

  it('exits 2 with the reason when the file is not of this load', () => {
    const file = path.join(dir, 'other-load.bin');
    writeArrivalFile(file, roundRobinOrder(1000, 3, 0.3, 100));
    const r = ceiling('--arrival', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(
      /^bench\/ceiling: --arrival: arrival file .*other-load\.bin has \d+ bytes; this load's 30 batches need 240/,
    );
  });
});
