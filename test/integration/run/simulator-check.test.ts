// The simulator check against a real SQLite file: trades stored before the run's rowid mark count as stored by
// an earlier run, and the check fails when a served trade is missing or the run's stored count is off.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSimulator } from '../../../src/run/simulator-check.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import type { TradesMark } from '../../../src/storage/collection-reads.ts';
import { sqliteCollectionReads, tradesRowidMark } from '../../../src/storage/sqlite/collection-reads.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir();
let sim: GeckoSimulator;
let served: string[];

beforeAll(async () => {
  sim = await startGeckoSimulator({
    seed: 2,
    pools: 1,
    tradesPerSecond: 1,
    historySeconds: 20,
    clock: () => Date.parse('2025-09-01T12:00:00Z'),
  });
  const res = await fetch(`${sim.baseUrl}/networks/solana/pools/${sim.pools[0]!.address}/trades`);
  served = ((await res.json()) as { data: { id: string }[] }).data.map((t) => t.id);
  // Counted once the body has left; the response may be read before the server's 'finish' event.
  await until(() => sim.stats().distinctTradesServed === served.length, 10_000, 'the simulator to count the reply');
});

afterAll(async () => {
  await sim?.close();
});

/** A trades table holding `before` (stored by "an earlier run"), the mark, then `during` (stored by this run). */
function database(
  name: string,
  before: readonly string[],
  during: readonly string[],
): { db: Database.Database; mark: TradesMark } {
  const db = new Database(path.join(dir, name));
  db.exec('CREATE TABLE trades (id VARCHAR(200) NOT NULL PRIMARY KEY, pool_id TEXT)');
  const insert = db.prepare('INSERT INTO trades (id, pool_id) VALUES (?, ?)');
  // Unrelated rows on both sides of the mark: only served ids may count.
  insert.run('other_1', 'x');
  for (const id of before) insert.run(id, 'p');
  const mark: TradesMark = { kind: 'rowid', rowid: tradesRowidMark(db) };
  for (const id of during) insert.run(id, 'p');
  insert.run('other_2', 'x');
  return { db, mark };
}

function readsOf(db: Database.Database) {
  return sqliteCollectionReads(
    async (fn) => fn(db),
    () => undefined,
  );
}

describe('simulator check', () => {
  it('splits the served trades into stored before the run and stored by it', async () => {
    expect(served.length).toBe(20);
    const { db, mark } = database('split.db', served.slice(12), served.slice(0, 12));
    try {
      const check = await checkSimulator({ simulator: sim, reads: readsOf(db), mark: mark, stored: 12 });
      expect(check).toMatchObject({
        distinctTradesServed: 20,
        servedStoredBefore: 8,
        servedNew: 12,
        servedInDatabase: 20,
        allServedStored: true,
        storedMatchesServed: true,
      });
    } finally {
      db.close();
    }
  });

  it('says no when a served trade is missing, or the run stored a different number', async () => {
    const { db, mark } = database('missing.db', served.slice(12), served.slice(1, 12));
    try {
      const missing = await checkSimulator({ simulator: sim, reads: readsOf(db), mark: mark, stored: 11 });
      expect(missing).toMatchObject({
        servedInDatabase: 19,
        servedNew: 12,
        allServedStored: false,
        storedMatchesServed: false,
      });
      const offCount = await checkSimulator({
        simulator: sim,
        reads: readsOf(db),
        mark: mark,
        stored: 12,
      });
      expect(offCount.storedMatchesServed).toBe(false);
    } finally {
      db.close();
    }
    const complete = database('counted.db', [], served);
    try {
      const check = await checkSimulator({
        simulator: sim,
        reads: readsOf(complete.db),
        mark: complete.mark,
        stored: 21,
      });
      expect(check).toMatchObject({
        servedStoredBefore: 0,
        servedNew: 20,
        allServedStored: true,
        storedMatchesServed: false,
      });
    } finally {
      complete.db.close();
    }
  });
});
