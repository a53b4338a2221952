// `gecko-collector doctor`: a read-only report of a database filled through the funnel (settings,
// integrity, tables, per-pool cursor and gaps) that leaves the file as it was and never creates one.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import type { DatabaseReport } from '../../../src/doctor/database-report.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { type RunMetricsFile, writeMetricsFile } from '../../../src/run/metrics-file.ts';
import { DeferredQueue } from '../../../src/spool/deferred-queue.ts';
import { DatabaseLock } from '../../../src/storage/sqlite/database-lock.ts';
import { SCHEMA_VERSION } from '../../../src/storage/sqlite/schema-migrations.ts';
import { captureIo } from '../../support/capture-io.ts';
import { fixtureTrades } from '../../support/fixtures.ts';
import { BIN } from '../../support/repo.ts';
import { fixturePath, tempDir } from '../../support/temp-dir.ts';

const POOL = 'solana_PoolFromFixture';

async function run(args: string[]) {
  const cap = captureIo();
  const code = await main(args, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

function fingerprint(file: string): { size: number; mtimeMs: number; sha256: string } {
  const st = fs.statSync(file);
  return {
    size: st.size,
    mtimeMs: st.mtimeMs,
    sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
  };
}

describe('doctor command', () => {
  const dir = tempDir('gecko-doctor-');
  const dbPath = path.join(dir, 'gecko.db');
  const url = urlFromDatabasePath(dbPath);

  beforeAll(async () => {
    const trades = fixtureTrades();
    const manager = new LockOptimizedDatabaseManager({ url });
    await manager.initialize();
    try {
      expect(await manager.storeTradeDataOptimized(trades)).toMatchObject({ inserted: 300 });
      await manager.write({
        cursors: [
          {
            poolId: POOL,
            lastTradeId: trades[0]!.id,
            lastTradeTimestamp: trades[0]!.blockTimestamp,
            polledAt: '2025-08-28T16:20:00Z',
          },
        ],
        gaps: [
          {
            poolId: POOL,
            gapStart: '2025-08-27T10:00:00Z',
            gapEnd: '2025-08-27T11:00:00Z',
            detectedAt: '2025-08-28T16:00:00Z',
            tradesInResponse: 300,
          },
          {
            poolId: POOL,
            gapStart: '2025-08-28T10:00:00Z',
            gapEnd: '2025-08-28T11:00:00Z',
            detectedAt: '2025-08-28T16:20:00Z',
            tradesInResponse: 300,
          },
        ],
      });
    } finally {
      await manager.close();
    }
  });

  it('--json reports WAL, integrity, tables, the pool cursor and gaps, without changing the file', async () => {
    const before = fingerprint(dbPath);
    const r = await run(['doctor', '--db', url, '--json', '--gaps', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DatabaseReport;
    expect(report).toMatchObject({
      path: dbPath,
      journalMode: 'wal',
      integrity: 'ok',
      integrityCheck: 'full',
      userVersion: SCHEMA_VERSION,
      schemaVersion: SCHEMA_VERSION,
      schemaFlavor: 'numeric-exact',
      busyTimeoutMs: { collector: 5000, reader: 5000 },
      synchronous: { collector: 'NORMAL' },
      lockErrors: 0,
      lastRun: null,
    });
    const rows = Object.fromEntries(report.tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({
      trades: 300,
      collection_state: 1,
      collection_gaps: 2,
      // The trades' pool, known from them only, and its network's placeholder dex: every foreign key holds.
      pools: 1,
      dexes: 1,
      watchlist: 0,
    });
    expect(report.foreignKeys).toEqual([]);
    expect(report.files.databaseBytes).toBe(before.size);
    expect(report.files.pageCount * report.files.pageSize).toBe(before.size);
    expect(report.pools).toEqual([
      {
        poolId: POOL,
        cursor: {
          lastTradeId: expect.stringMatching(/^solana_363106602_/),
          lastTradeTimestamp: '2025-08-28 16:15:08.000000',
          lastPolledAt: '2025-08-28 16:20:00.000000',
          updatedAt: expect.any(String),
        },
        lastTradeTimestamp: '2025-08-28 16:15:08.000000',
        tradeCount: 300,
        gapCount: 2,
        // Gaps recorded without an estimate of what they missed: made is at least what was stored.
        coverage: {
          tradeRatePerS: null,
          rateObservedAt: null,
          pollIntervalMs: null,
          lastHour: { stored: 0, missed: 0, gapsWithoutEstimate: 0 },
          lastDay: { stored: 0, missed: 0, gapsWithoutEstimate: 0 },
          all: { stored: 300, missed: 0, gapsWithoutEstimate: 2 },
        },
      },
    ]);
    expect(report.gaps.count).toBe(2);
    expect(report.gaps.open).toBe(2);
    expect(report.gaps.latest).toEqual([
      {
        id: 2,
        poolId: POOL,
        gapStart: '2025-08-28 10:00:00.000000',
        gapEnd: '2025-08-28 11:00:00.000000',
        detectedAt: '2025-08-28 16:20:00.000000',
        tradesInResponse: 300,
        filledAt: null,
      },
    ]);

    expect(fingerprint(dbPath)).toEqual(before);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM trades').get()).toEqual({ n: 300 });
    db.close();
  });

  it('prints a short readable report', async () => {
    const r = await run(['doctor', '--db', url, '--quick']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^journal_mode\s+wal$/m);
    expect(r.stdout).toMatch(/^quick_check\s+ok$/m);
    expect(r.stdout).toMatch(/^busy_timeout\s+5000 ms\s+5000 ms$/m);
    expect(r.stdout).toMatch(/^trades\s+300$/m);
    expect(r.stdout).toMatch(
      // At 80 columns: the time to the second, the cursor on the newest trade as `= last`.
      new RegExp(`^  ${POOL}\\s+300\\s+2025-08-28 16:15:08Z\\s+= last\\s+2$`, 'm'),
    );
    expect(r.stdout).toMatch(/^gaps: 2, 2 open \('gecko-collector backfill' fills them\)$/m);
  });

  it('a missing database exits 1 naming the path, and is not created', async () => {
    const missing = path.join(dir, 'missing.db');
    const r = await run(['doctor', '--db', urlFromDatabasePath(missing)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`database file not found: ${missing}`);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('missing'))).toEqual([]);
    // sqlite:///abs is relative to the working directory; the error names the URL that was meant.
    const relative = await run(['doctor', '--db', `sqlite://${missing}`]);
    expect(relative.code).toBe(1);
    expect(relative.stderr).toContain(`for ${missing} write sqlite:///${missing}: three slashes name a path relative`);
  });

  it('a file that is not a database exits 1 and is left alone', async () => {
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not sqlite\n'.repeat(100));
    const before = fingerprint(junk);
    const r = await run(['doctor', '--db', urlFromDatabasePath(junk), '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot read ${junk} as a SQLite database`));
    expect(fingerprint(junk)).toEqual(before);
  });

  it("reports a legacy Python collector's file as it is (rollback journal, not yet migrated)", async () => {
    const legacy = path.join(dir, 'legacy.db');
    execFileSync('sqlite3', [legacy], {
      input:
        fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8') +
        "\nINSERT INTO dexes (id, name, network) VALUES ('raydium', 'Raydium', 'solana');" +
        "\nINSERT INTO pools (id, address, dex_id) VALUES ('solana_A', 'A', 'raydium');" +
        "\nINSERT INTO trades (id, pool_id, from_token_amount, side, block_timestamp) VALUES ('t1', 'solana_A', 1.5, 'buy', '2025-08-28 16:15:08.000000');",
    });
    const before = fingerprint(legacy);
    const r = await run(['doctor', '--db', urlFromDatabasePath(legacy), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DatabaseReport;
    expect(report).toMatchObject({
      journalMode: 'delete',
      userVersion: 0,
      schemaFlavor: 'numeric-exact',
      integrity: 'ok',
      foreignKeys: [],
      gaps: { count: 0, latest: [] },
    });
    expect(report.pools).toEqual([
      {
        poolId: 'solana_A',
        cursor: null,
        lastTradeTimestamp: '2025-08-28 16:15:08.000000',
        tradeCount: 1,
        gapCount: 0,
      },
    ]);
    expect(report.notes.join('\n')).toMatch(/journal_mode is delete/);
    expect(fingerprint(legacy)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('legacy.db'))).toEqual(['legacy.db']);
  });

  it('reports rows whose foreign key points to nothing, counted per table, and exits 1', async () => {
    const broken = path.join(dir, 'dangling.db');
    execFileSync('sqlite3', [broken], {
      input: `${fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8')}
        INSERT INTO dexes (id, name, network) VALUES ('raydium', 'Raydium', 'solana');
        INSERT INTO pools (id, address, dex_id) VALUES ('solana_A', 'A', 'raydium'), ('solana_B', 'B', 'gone');
        INSERT INTO trades (id, pool_id, side) VALUES ('t1', 'solana_A', 'buy'), ('t2', 'solana_X', 'buy'),
          ('t3', 'solana_X', 'sell'), ('t4', 'solana_Y', 'buy');`,
    });
    const json = await run(['doctor', '--db', urlFromDatabasePath(broken), '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as DatabaseReport).foreignKeys).toEqual([
      { table: 'pools', parent: 'dexes', rows: 1 },
      { table: 'trades', parent: 'pools', rows: 3 },
    ]);
    const text = await run(['doctor', '--db', urlFromDatabasePath(broken)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/foreign keys +FAILED \(4 rows point to nothing\)/);
    expect(text.stdout).toContain('  trades → pools: 3 rows without a pools row');
    expect(text.stdout).toContain('  pools → dexes: 1 row without a dexes row');
  });

  it('bad flags exit 2 with one line', async () => {
    for (const args of [
      ['doctor', '--bogus'],
      ['doctor', '--gaps', '-1'],
      ['doctor', 'extra'],
      ['doctor', '--db', 'sqlite:///:memory:'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('--help works in-process and through the real bin', async () => {
    const r = await run(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: gecko-collector doctor/);

    const child = await promisify(execFile)(process.execPath, [BIN, 'doctor', '--help'], { encoding: 'utf8' });
    expect(child.stdout).toBe(r.stdout);
    expect(child.stderr).toBe('');
  });

  it('runs beside an open writer and sees what it committed (through the real bin)', async () => {
    const manager = new LockOptimizedDatabaseManager({ url });
    await manager.initialize();
    try {
      await manager.write({
        gaps: [
          {
            poolId: 'solana_Other',
            gapStart: '2025-08-29T10:00:00Z',
            gapEnd: '2025-08-29T11:00:00Z',
            detectedAt: '2025-08-29T12:00:00Z',
            tradesInResponse: 300,
          },
        ],
      });
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'doctor', '--db', url, '--json'], {
        encoding: 'utf8',
      });
      const report = JSON.parse(stdout) as DatabaseReport;
      expect(report.tables.find((t) => t.name === 'trades')?.rows).toBe(300);
      expect(report.gaps.count).toBe(3);
      expect(report.gaps.latest[0]).toMatchObject({ poolId: 'solana_Other' });
      expect(report.pools.map((p) => [p.poolId, p.tradeCount, p.gapCount])).toEqual([
        ['solana_Other', 0, 1],
        [POOL, 300, 2],
      ]);
    } finally {
      await manager.close();
    }
  });
});

describe('doctor: deferred queue spool and last run metrics', () => {
  const dir = tempDir('gecko-doctor-files-');
  const dbPath = path.join(dir, 'files.db');
  const url = urlFromDatabasePath(dbPath);
  const spoolPath = `${dbPath}.spool`;
  const metricsPath = `${dbPath}.metrics.json`;
  const deferredAt = Date.now() - 90_000;

  beforeAll(async () => {
    const trades = fixtureTrades();
    const manager = new LockOptimizedDatabaseManager({ url });
    await manager.initialize();
    try {
      await manager.storeTradeDataOptimized(trades.slice(0, 100));
    } finally {
      await manager.close();
    }
    // Two batches left deferred, as a run whose breaker was open at the end leaves them.
    const queue = DeferredQueue.open(spoolPath, { now: () => deferredAt });
    await queue.defer({ trades: trades.slice(100, 105) });
    await queue.defer({ trades: trades.slice(105, 108) });
    await queue.close();
  });

  const snapshotFile = (): RunMetricsFile => ({
    format: 'gecko-collector/run-metrics',
    version: 1,
    writtenAt: Date.parse('2025-08-28T16:20:01Z'),
    startedAt: Date.parse('2025-08-28T16:00:00Z'),
    finishedAt: Date.parse('2025-08-28T16:20:01Z'),
    pid: 4242,
    manager: 'funnel',
    pragmas: 'optimized',
    batching: true,
    lock: { lockErrors: 3, busyRetries: 7 },
    snapshot: {
      at: Date.parse('2025-08-28T16:20:00Z'),
      lock: {
        manager: 'funnel',
        journalMode: 'wal',
        synchronous: 'NORMAL',
        busyTimeoutMs: 5000,
        cacheSize: -65536,
        queryLatencyMs: 0.2,
        busyRetries: 7,
        lockErrors: 3,
        busyWaits: 1,
        operations: 40,
        rowsInserted: 100,
        duplicates: 0,
        rejected: 0,
        writeLatencyMs: { count: 40, mean: 1, p50: 1, p95: 2, p99: 3, max: 4 },
        writerBacklog: 0,
      },
      batch: { avgBatchSize: 50, maxBatchSize: 200, batches: 2, rows: 100 },
      breaker: {
        name: 'writer',
        state: 'OPEN',
        generation: 3,
        successes: 38,
        failures: 2,
        ignoredErrors: 0,
        rejections: 4,
        opens: 1,
        consecutiveFailures: 2,
        windowCalls: 10,
        windowFailures: 2,
        currentOpenMs: 30_000,
        openedAt: Date.parse('2025-08-28T16:18:00Z'),
        unhealthySince: Date.parse('2025-08-28T16:18:00Z'),
        openUntil: Date.parse('2025-08-28T16:18:30Z'),
        timeInOpenMs: 120_000,
        halfOpenAdmitted: 0,
        halfOpenSuccesses: 0,
        deferred: 2,
        drained: 0,
      },
      deferred: { batches: 2, rows: 8, oldestAgeMs: 90_000, bytes: 4000, deferredTotal: 2, replayedTotal: 0 },
      writer: { restarts: 1, lastRestartAt: Date.parse('2025-08-28T16:10:00Z'), backlog: 0 },
      alerts: [
        {
          name: 'breaker-open-too-long',
          message: 'circuit breaker open for 120 s',
          value: 120_000,
          threshold: 60_000,
          since: Date.parse('2025-08-28T16:19:00Z'),
        },
      ],
    },
  });

  it('--json shows the spool read-only (batches, rows, oldest age) and leaves both files as they were', async () => {
    const before = { db: fingerprint(dbPath), spool: fingerprint(spoolPath) };
    const r = await run(['doctor', '--db', url, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DatabaseReport;
    expect(report.spool).toMatchObject({
      path: spoolPath,
      batches: 2,
      rows: 8,
      oldestEnqueuedAt: new Date(deferredAt).toISOString(),
      maxAttempts: 0,
      lastError: null,
    });
    expect(report.spool!.oldestAgeMs).toBeGreaterThanOrEqual(90_000);
    expect(report.spool!.oldestAgeMs).toBeLessThan(90_000 + 60_000);
    expect(report.spool!.bytes).toBeGreaterThan(0);
    expect(report.spool!.error).toBeUndefined();
    expect(report.notes).toContain(
      '2 deferred batch(es) (8 rows) wait in the spool; the next collector run replays them into the database',
    );
    expect({ db: fingerprint(dbPath), spool: fingerprint(spoolPath) }).toEqual(before);
  });

  it('--json shows the last run from <db>.metrics.json; top-level lockErrors come from it', async () => {
    await writeMetricsFile(metricsPath, snapshotFile());
    try {
      const r = await run(['doctor', '--db', url, '--json', '--quick']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as DatabaseReport;
      expect(report.lockErrors).toBe(3);
      expect(report.lastRun).toEqual({
        file: metricsPath,
        manager: 'funnel',
        pragmas: 'optimized',
        batching: true,
        at: '2025-08-28T16:20:00.000Z',
        startedAt: '2025-08-28T16:00:00.000Z',
        finishedAt: '2025-08-28T16:20:01.000Z',
        state: 'finished',
        lockErrors: 3,
        busyRetries: 7,
        breaker: {
          state: 'OPEN',
          opens: 1,
          rejections: 4,
          failures: 2,
          successes: 38,
          timeInOpenMs: 120_000,
          openedAt: '2025-08-28T16:18:00.000Z',
        },
        deferred: { batches: 2, rows: 8, oldestAgeMs: 90_000, bytes: 4000, deferredTotal: 2, replayedTotal: 0 },
        writer: { restarts: 1, lastRestartAt: '2025-08-28T16:10:00.000Z' },
        batchFill: { avgBatchSize: 50, maxBatchSize: 200, fill: 0.25, batches: 2, rows: 100 },
        alerts: [expect.objectContaining({ name: 'breaker-open-too-long', threshold: 60_000 })],
        // A file without collection figures (a build before them) has no rejected-trade counts to show.
        rejectedTrades: null,
        schedule: null,
      });
      expect(report.notes.join('\n')).toMatch(/alerts active in the last run: breaker-open-too-long/);

      const text = await run(['doctor', '--db', url, '--quick', '--wide']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^lock errors\s+3 \(busy retries 7; last run finished 2025-08-28 16:20:01Z\)$/m);
      expect(text.stdout).toMatch(/^deferred queue$/m);
      expect(text.stdout).toMatch(/^waiting\s+2 batches, 8 rows \([\d.]+ (B|KiB)\)$/m);
      expect(text.stdout).toMatch(/^oldest\s+\S+ \S+Z \(\d+\.\d s ago\)$/m);
      expect(text.stdout).toMatch(new RegExp(`^last run\\s+${metricsPath.replace(/[.]/g, '\\.')}$`, 'm'));
      expect(text.stdout).toMatch(/^figures of\s+2025-08-28 16:20:00Z \(end of run\)$/m);
      expect(text.stdout).toMatch(
        /^breaker\s+OPEN since 2025-08-28 16:18:00Z; opened 1 times \(2\.0 min open\), 4 rejections/m,
      );
      expect(text.stdout).toMatch(
        /^deferred\s+2 batches \/ 8 rows waiting, oldest 90\.0 s; 2 deferred, 0 replayed during the run$/m,
      );
      expect(text.stdout).toMatch(/^writer restarts\s+1 \(last 2025-08-28 16:10:00Z\)$/m);
      expect(text.stdout).toMatch(/^batch fill\s+50\.0 of 200 rows on average \(25%\), 2 batches, 100 rows$/m);
      expect(text.stdout).toMatch(/^alerts\s+breaker-open-too-long \(circuit breaker open for 120 s\)$/m);
    } finally {
      fs.rmSync(metricsPath, { force: true });
    }
  });

  it("shows why the last run's batches were cut when the file has the split", async () => {
    const file = snapshotFile();
    const byReason = {
      size: { batches: 1, rows: 90 },
      maxWait: { batches: 1, rows: 10 },
      flush: { batches: 0, rows: 0 },
      close: { batches: 0, rows: 0 },
      unspecified: { batches: 0, rows: 0 },
    };
    file.snapshot!.batch = { ...file.snapshot!.batch, byReason };
    await writeMetricsFile(metricsPath, file);
    try {
      const report = JSON.parse((await run(['doctor', '--db', url, '--json', '--quick'])).stdout) as DatabaseReport;
      expect(report.lastRun?.batchFill?.byReason).toEqual(byReason);
      const text = await run(['doctor', '--db', url, '--quick']);
      expect(text.stdout).toMatch(/^batches cut by\s+size 1 \(90 rows\), maxWait 1 \(10 rows\)$/m);
    } finally {
      fs.rmSync(metricsPath, { force: true });
    }
  });

  it('a run that did not finish, and a malformed metrics file, are reported as notes (exit 0)', async () => {
    try {
      await writeMetricsFile(metricsPath, { ...snapshotFile(), finishedAt: null });
      let report = JSON.parse((await run(['doctor', '--db', url, '--json', '--quick'])).stdout) as DatabaseReport;
      expect(report.lastRun).toMatchObject({ finishedAt: null, state: 'died' });
      expect(report.notes.join('\n')).toMatch(/did not finish cleanly/);

      fs.writeFileSync(metricsPath, '{"format": "something else"}');
      const r = await run(['doctor', '--db', url, '--json', '--quick']);
      expect(r.code).toBe(0);
      report = JSON.parse(r.stdout) as DatabaseReport;
      expect(report.lastRun).toBeNull();
      expect(report.lockErrors).toBe(0);
      expect(report.notes.join('\n')).toMatch(/last run metrics not shown: .*format is "something else"/);
    } finally {
      fs.rmSync(metricsPath, { force: true });
    }
  });

  it('says whether a run is writing the database now, and reads an unfinished snapshot by that', async () => {
    try {
      await writeMetricsFile(metricsPath, { ...snapshotFile(), finishedAt: null });
      // The lock a running collector holds, taken by the same code.
      const lock = DatabaseLock.acquire(dbPath);
      try {
        const held = JSON.parse((await run(['doctor', '--db', url, '--json', '--quick'])).stdout) as DatabaseReport;
        const text = (await run(['doctor', '--db', url, '--quick', '--wide'])).stdout;
        if (process.platform === 'linux') {
          expect(held.writerProcess).toEqual({ state: 'held', pid: process.pid });
          expect(held.notes.join('\n')).not.toMatch(/did not finish/);
          expect(text).toMatch(
            new RegExp(`^writing now\\s+yes: process ${process.pid} holds .*files\\.db\\.lock$`, 'm'),
          );
          expect(text).toMatch(/^figures of\s+\S+ \S+Z \(run still going\)$/m);
        }
      } finally {
        lock.release();
      }
      const free = JSON.parse((await run(['doctor', '--db', url, '--json', '--quick'])).stdout) as DatabaseReport;
      const text = (await run(['doctor', '--db', url, '--quick', '--wide'])).stdout;
      if (process.platform === 'linux') {
        expect(free.writerProcess).toEqual({ state: 'free' });
        expect(free.notes.join('\n')).toMatch(
          /the last run did not finish cleanly \(killed or crashed; nothing writes the database now\): its figures stop at /,
        );
        expect(text).toMatch(/^writing now\s+no collector or import is writing it$/m);
        expect(text).toMatch(/^figures of\s+\S+ \S+Z \(run did not finish cleanly\)$/m);
      }
    } finally {
      fs.rmSync(metricsPath, { force: true });
    }
  });

  it('without a spool or metrics file: null sections, and the text says so', async () => {
    const plain = path.join(dir, 'plain.db');
    const db = new Database(plain);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const report = JSON.parse(
      (await run(['doctor', '--db', urlFromDatabasePath(plain), '--json'])).stdout,
    ) as DatabaseReport;
    expect(report).toMatchObject({ spool: null, lastRun: null, lockErrors: 0 });
    const text = await run(['doctor', '--db', urlFromDatabasePath(plain)]);
    expect(text.stdout).toMatch(/^deferred queue: no spool file/m);
    expect(text.stdout).toMatch(/^last run: no metrics snapshot/m);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('plain.db'))).toEqual(['plain.db']);
  });

  it('a file that is not a spool is reported, not opened for writing', async () => {
    const other = path.join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    fs.copyFileSync(other, `${other}.spool`);
    const before = fingerprint(`${other}.spool`);
    const report = JSON.parse(
      (await run(['doctor', '--db', urlFromDatabasePath(other), '--json'])).stdout,
    ) as DatabaseReport;
    expect(report.spool).toMatchObject({
      batches: 0,
      error: 'not a deferred-queue spool (application_id 0, tables: t)',
    });
    expect(fingerprint(`${other}.spool`)).toEqual(before);
  });
});
