// `gecko-collector doctor`: a read-only report of a database filled through the funnel (settings,
// integrity, tables, per-pool cursor and gaps) that leaves the file as it was and never creates one.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { urlFromDatabasePath } from '../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../src/db/lock-optimized-manager.ts';
import { SCHEMA_VERSION } from '../../src/db/schema-migrations.ts';
import type { DatabaseReport } from '../../src/doctor/database-report.ts';
import { parseTradesDocument } from '../../src/gecko/trade-parser.ts';
import { fixturePath, tempDir } from '../support/temp-dir.ts';
import { captureIo } from './capture-io.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/gecko-collector.mjs');
const POOL = 'solana_PoolFromFixture';

async function run(args: string[]) {
  const cap = captureIo();
  const code = await main(args, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

function fingerprint(file: string): { size: number; mtimeMs: number; sha256: string } {
  const st = fs.statSync(file);
  return { size: st.size, mtimeMs: st.mtimeMs, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') };
}

describe('doctor command', () => {
  const dir = tempDir('gecko-doctor-');
  const dbPath = path.join(dir, 'gecko.db');
  const url = urlFromDatabasePath(dbPath);

  beforeAll(async () => {
    const doc = JSON.parse(fs.readFileSync(fixturePath('geckoterminal/trades_solana_sol-pump.json'), 'utf8')) as unknown;
    const trades = parseTradesDocument(doc, { network: 'solana', poolAddress: 'PoolFromFixture' });
    const manager = new LockOptimizedDatabaseManager({ url });
    await manager.initialize();
    try {
      expect(await manager.storeTradeDataOptimized(trades)).toMatchObject({ inserted: 300 });
      await manager.write({
        cursors: [{ poolId: POOL, lastTradeId: trades[0]!.id, lastTradeTimestamp: trades[0]!.blockTimestamp, polledAt: '2025-08-28T16:20:00Z' }],
        gaps: [
          { poolId: POOL, gapStart: '2025-08-27T10:00:00Z', gapEnd: '2025-08-27T11:00:00Z', detectedAt: '2025-08-28T16:00:00Z', tradesInResponse: 300 },
          { poolId: POOL, gapStart: '2025-08-28T10:00:00Z', gapEnd: '2025-08-28T11:00:00Z', detectedAt: '2025-08-28T16:20:00Z', tradesInResponse: 300 },
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
      schemaFlavor: 'text-decimals',
      busyTimeoutMs: { collector: 5000, reader: 5000 },
      synchronous: { collector: 'NORMAL' },
      lockErrors: 0,
      lastRun: null,
    });
    const rows = Object.fromEntries(report.tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({ trades: 300, collection_state: 1, collection_gaps: 2, pools: 0, dexes: 0, watchlist: 0 });
    expect(report.files.databaseBytes).toBe(before.size);
    expect(report.files.pageCount * report.files.pageSize).toBe(before.size);
    expect(report.pools).toEqual([
      {
        poolId: POOL,
        cursor: { lastTradeId: expect.stringMatching(/^solana_363106602_/), lastTradeTimestamp: '2025-08-28 16:15:08.000000', lastPolledAt: '2025-08-28 16:20:00.000000', updatedAt: expect.any(String) },
        lastTradeTimestamp: '2025-08-28 16:15:08.000000',
        tradeCount: 300,
        gapCount: 2,
      },
    ]);
    expect(report.gaps.count).toBe(2);
    expect(report.gaps.latest).toEqual([
      { id: 2, poolId: POOL, gapStart: '2025-08-28 10:00:00.000000', gapEnd: '2025-08-28 11:00:00.000000', detectedAt: '2025-08-28 16:20:00.000000', tradesInResponse: 300 },
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
    expect(r.stdout).toMatch(new RegExp(`^  ${POOL}\\s+300\\s+2025-08-28 16:15:08.000000\\s+2025-08-28 16:15:08.000000\\s+2$`, 'm'));
    expect(r.stdout).toMatch(/^gaps: 2$/m);
  });

  it('a missing database exits 1 naming the path, and is not created', async () => {
    const missing = path.join(dir, 'missing.db');
    const r = await run(['doctor', '--db', urlFromDatabasePath(missing)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`database file not found: ${missing}`);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('missing'))).toEqual([]);
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
    execFileSync('sqlite3', [legacy], { input: fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8') + "\nINSERT INTO trades (id, pool_id, from_token_amount, side, block_timestamp) VALUES ('t1', 'solana_A', 1.5, 'buy', '2025-08-28 16:15:08.000000');" });
    const before = fingerprint(legacy);
    const r = await run(['doctor', '--db', urlFromDatabasePath(legacy), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DatabaseReport;
    expect(report).toMatchObject({ journalMode: 'delete', userVersion: 0, schemaFlavor: 'legacy-numeric', integrity: 'ok', gaps: { count: 0, latest: [] } });
    expect(report.pools).toEqual([{ poolId: 'solana_A', cursor: null, lastTradeTimestamp: '2025-08-28 16:15:08.000000', tradeCount: 1, gapCount: 0 }]);
    expect(report.notes.join('\n')).toMatch(/journal_mode is delete/);
    expect(fingerprint(legacy)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('legacy.db'))).toEqual(['legacy.db']);
  });

  it('bad flags exit 2 with one line', async () => {
    for (const args of [['doctor', '--bogus'], ['doctor', '--gaps', '-1'], ['doctor', 'extra'], ['doctor', '--db', 'sqlite:///:memory:']]) {
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
      await manager.write({ gaps: [{ poolId: 'solana_Other', gapStart: '2025-08-29T10:00:00Z', gapEnd: '2025-08-29T11:00:00Z', detectedAt: '2025-08-29T12:00:00Z', tradesInResponse: 300 }] });
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'doctor', '--db', url, '--json'], { encoding: 'utf8' });
      const report = JSON.parse(stdout) as DatabaseReport;
      expect(report.tables.find((t) => t.name === 'trades')?.rows).toBe(300);
      expect(report.gaps.count).toBe(3);
      expect(report.gaps.latest[0]).toMatchObject({ poolId: 'solana_Other' });
      expect(report.pools.map((p) => [p.poolId, p.tradeCount, p.gapCount])).toEqual([['solana_Other', 0, 1], [POOL, 300, 2]]);
    } finally {
      await manager.close();
    }
  });
});
