// The rollback switches, each run against the simulator: `manager: 'direct'` (immediate
// rollback), `batching: false` (no batch processor, SQLite settings kept) and `pragmas: 'default'`
// (configuration rollback: stock SQLite, rollback journal). Each one still stores every trade served.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { DirectCollectorStore } from '../../../src/direct/direct-collector-store.ts';
import type { DatabaseReport } from '../../../src/doctor/database-report.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { type CollectionSummary, runCollection } from '../../../src/run/collection-run.ts';
import { readMetricsFile } from '../../../src/run/metrics-file.ts';
import { readDatabase } from '../../../src/testing/index.ts';
import { cli, field, num } from '../../support/collect-run.ts';
import { fixtureTrades } from '../../support/fixtures.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-rollback-');

function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const count = (db: Database.Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;

/** Every served trade stored once, and each pool's cursor names a stored trade (cursor written after its ack). */
function expectStoredEqualsServed(s: CollectionSummary): void {
  expect(s.collectorFailures).toEqual([]);
  expect(s.errors).toBe(0);
  expect(s.stored).toBeGreaterThan(0);
  expect(s.simulator?.allServedStored).toBe(true);
  expect(s.stored).toBe(s.simulator?.distinctTradesServed);
  withDb(s.dbPath, (db) => {
    expect(count(db, 'SELECT count(*) AS n FROM trades')).toBe(s.stored);
    const cursors = db.prepare('SELECT pool_id, last_trade_id FROM collection_state').all() as {
      pool_id: string;
      last_trade_id: string;
    }[];
    // A cursor for each pool with stored trades (how many pools 1.5 s reach depends on the machine).
    const withTrades = db.prepare('SELECT DISTINCT pool_id FROM trades ORDER BY 1').all() as { pool_id: string }[];
    expect(cursors.map((c) => c.pool_id).sort()).toEqual(withTrades.map((r) => r.pool_id));
    for (const c of cursors)
      expect(
        db.prepare('SELECT 1 FROM trades WHERE id = ? AND pool_id = ?').get(c.last_trade_id, c.pool_id),
      ).toBeDefined();
  });
}

const SHORT_RUN = { simulate: true, collectors: 2, pollIntervalMs: 400, durationMs: 1500 } as const;

describe("rollback switch manager: 'direct' (immediate rollback)", () => {
  it('stores everything the simulator served through per-collector connections', async () => {
    const dbPath = path.join(dir, 'direct.db');
    const s = await runCollection({ ...SHORT_RUN, manager: 'direct', dbUrl: urlFromDatabasePath(dbPath) });
    expect(s.manager).toBe('direct');
    expectStoredEqualsServed(s);
    expect(s.metrics).toBeUndefined();
    // No funnel, so the run's metrics file carries the lock figures only, and says why.
    const file = readMetricsFile(`${dbPath}.metrics.json`);
    expect(file).toMatchObject({
      manager: 'direct',
      snapshot: null,
      lock: { lockErrors: s.lockErrors, busyRetries: s.busyRetries },
    });
    expect(file?.finishedAt).toEqual(expect.any(Number));
    expect(file?.note).toMatch(/direct mode/);
  });

  it('stores the same pools and dexes rows as the funnel, through the same statements', async () => {
    const directPath = path.join(dir, 'direct-metadata.db');
    const funnelPath = path.join(dir, 'funnel-metadata.db');
    // The two runs are independent (a simulator and a database each): side by side.
    const [direct] = await Promise.all([
      runCollection({ ...SHORT_RUN, manager: 'direct', dbUrl: urlFromDatabasePath(directPath) }),
      runCollection({ ...SHORT_RUN, manager: 'funnel', dbUrl: urlFromDatabasePath(funnelPath) }),
    ]);
    expect(direct.collectorFailures).toEqual([]);
    // last_updated is the time of the write, created_at follows the simulator's start, and the pools' trade
    // counters (metadata_json's transactions) the time of the read; the rest must match.
    const withoutCounters = (row: Record<string, unknown>) => {
      const { transactions: _, ...rest } = JSON.parse(String(row.metadata_json)) as Record<string, unknown>;
      return { ...row, metadata_json: rest };
    };
    const metadata = (file: string) =>
      withDb(file, (db) => ({
        pools: (
          db
            .prepare(
              'SELECT id, address, name, dex_id, base_token_id, quote_token_id, reserve_usd, created_at IS NOT NULL AS dated, discovery_source, metadata_json FROM pools ORDER BY id',
            )
            .all() as Record<string, unknown>[]
        ).map(withoutCounters),
        dexes: db.prepare('SELECT id, name, network FROM dexes ORDER BY id').all(),
        stamped:
          count(db, 'SELECT count(*) AS n FROM pools WHERE last_updated IS NOT NULL') +
          count(db, 'SELECT count(*) AS n FROM dexes WHERE last_updated IS NOT NULL'),
      }));
    const d = metadata(directPath);
    expect(d.pools).toHaveLength(direct.pools);
    expect(d.dexes.length).toBeGreaterThan(0);
    expect(d.stamped).toBe(d.pools.length + d.dexes.length);
    expect(d).toEqual(metadata(funnelPath));
    // Every pool collected has its metadata row.
    withDb(directPath, (db) =>
      expect(count(db, 'SELECT count(*) AS n FROM collection_state WHERE pool_id NOT IN (SELECT id FROM pools)')).toBe(
        0,
      ),
    );
  });

  it("a direct collector's own connection follows the run's pragmas (default keeps the rollback journal)", async () => {
    const dbPath = path.join(dir, 'direct-default.db');
    const store = await DirectCollectorStore.open(urlFromDatabasePath(dbPath), { pragmas: 'default' });
    try {
      expect((await store.lockMetrics())?.journalMode).toBe('delete');
    } finally {
      await store.close();
    }
    expect(withDb(dbPath, (db) => db.pragma('journal_mode', { simple: true }))).toBe('delete');
  });
});

describe('rollback switch batching: false (no batch processor, SQLite settings kept)', () => {
  it("stores each poll's new trades in one write of its own: stored == served, one writer batch per poll with trades", async () => {
    const dbPath = path.join(dir, 'unbatched.db');
    // No pool metadata write, so every batch the writer saw came from the collectors.
    const s = await runCollection({
      ...SHORT_RUN,
      batching: false,
      poolMetadata: false,
      dbUrl: urlFromDatabasePath(dbPath),
    });
    expect(s.batching).toBe(false);
    expectStoredEqualsServed(s);
    const c = s.counters;
    expect(c.pollsWithTrades).toBeGreaterThan(0);
    // One store call per poll with new trades: nothing grouped them, nothing split them.
    expect(c.tradeWrites).toBe(c.pollsWithTrades);
    // And the writer saw exactly those trade batches (batch fill counts batches that carry trades; cursor
    // writes go separately): no batch processor in between.
    const m = s.metrics!;
    expect(m.deferred.deferredTotal).toBe(0);
    expect(m.deferred.replayedTotal).toBe(0);
    expect(m.batch.batches).toBe(c.tradeWrites);
    expect(c.stateWrites).toBeGreaterThan(0);
    expect(m.batch.rows).toBe(s.stored);
    // The SQLite settings stay optimized (this switch only drops batching).
    expect(m.lock.journalMode).toBe('wal');
    expect(readMetricsFile(`${dbPath}.metrics.json`)).toMatchObject({
      batching: false,
      pragmas: 'optimized',
      manager: 'funnel',
    });
  });

  it('collect --no-batching runs the same way from the CLI', async () => {
    const dbPath = path.join(dir, 'unbatched-cli.db');
    const r = await cli([
      'collect',
      '--simulate',
      '--no-batching',
      '--duration',
      '1',
      '--collectors',
      '2',
      '--poll-interval',
      '0.4',
      '--db',
      urlFromDatabasePath(dbPath),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(field(r.stdout, 'manager')).toMatch(/^funnel, 2 collectors, 4 pools \(solana\), batching off$/);
    expect(field(r.stdout, 'stored == served')).toMatch(/^yes /);
    expect(readMetricsFile(`${dbPath}.metrics.json`)).toMatchObject({
      batching: false,
      finishedAt: expect.any(Number),
    });
  });
});

describe("rollback switch pragmas: 'default' (configuration rollback)", () => {
  it('LockOptimizedDatabaseManager({ url, pragmas: "default" }) keeps the rollback journal and writes work', async () => {
    const dbPath = path.join(dir, 'manager-default.db');
    const trades = fixtureTrades();
    const manager = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath), pragmas: 'default' });
    const info = await manager.initialize();
    try {
      expect(info.journalMode).toBe('delete');
      expect(await manager.storeTradeDataOptimized(trades)).toMatchObject({
        inserted: trades.length,
        duplicates: 0,
        deferred: false,
      });
      expect(await manager.storeTradeDataOptimized(trades.slice(0, 10))).toMatchObject({ inserted: 0, duplicates: 10 });
      expect(await readDatabase(manager, (db) => count(db, 'SELECT count(*) AS n FROM trades'))).toBe(trades.length);
      const m = await manager.getLockContentionMetrics();
      expect(m).toMatchObject({ journalMode: 'delete', rowsInserted: trades.length, lockErrors: 0 });
    } finally {
      await manager.close();
    }
    expect(
      withDb(dbPath, (db) => [
        db.pragma('journal_mode', { simple: true }),
        count(db, 'SELECT count(*) AS n FROM trades'),
      ]),
    ).toEqual(['delete', trades.length]);
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(false);
  });

  it('collect --pragmas default leaves journal_mode = delete and still stores == served', async () => {
    const dbPath = path.join(dir, 'pragmas-default.db');
    const url = urlFromDatabasePath(dbPath);
    const r = await cli([
      'collect',
      '--simulate',
      '--pragmas',
      'default',
      '--duration',
      '1.5',
      '--collectors',
      '2',
      '--poll-interval',
      '0.4',
      '--db',
      url,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(field(r.stdout, 'manager')).toMatch(/default pragmas$/);
    const stored = num(field(r.stdout, 'trades stored (new)'));
    expect(stored).toBeGreaterThan(0);
    const n = stored.toLocaleString('en-US');
    expect(field(r.stdout, 'stored == served')).toBe(`yes (${n} stored, ${n} served new)`);
    expect(
      withDb(dbPath, (db) => [
        db.pragma('journal_mode', { simple: true }),
        count(db, 'SELECT count(*) AS n FROM trades'),
      ]),
    ).toEqual(['delete', stored]);
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(false);
    expect(readMetricsFile(`${dbPath}.metrics.json`)).toMatchObject({
      pragmas: 'default',
      snapshot: { lock: { journalMode: 'delete' } },
    });

    // doctor explains the rollback journal instead of promising a switch to WAL.
    const d = await cli(['doctor', '--db', url, '--json', '--quick']);
    expect(d.code).toBe(0);
    const report = JSON.parse(d.stdout) as DatabaseReport;
    expect(report.journalMode).toBe('delete');
    expect(report.notes.join('\n')).toMatch(/last run used pragmas 'default'/);
  });

  it.each([
    [['--simulate', '--pragmas', 'fast'], /--pragmas must be one of optimized, default/],
    [['--simulate', '--no-batching=yes'], /no-batching/],
  ])('bad value %j → exit 2 with one line', async (args, message) => {
    const r = await cli(['collect', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
