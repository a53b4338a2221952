// `gecko-collector status` on databases a simulated collect filled, SQLite and PostgreSQL, as real processes:
// the per-pool table and --json agree with what is stored, the run's figures come from its metrics file, --watch
// redraws until SIGINT and then exits 0, and a missing database fails in one line without being created.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../../src/monitoring/status-report.ts';
import { metricsFilePath } from '../../../src/run/metrics-file.ts';
import { DatabaseLock } from '../../../src/storage/sqlite/database-lock.ts';
import { spawnCli } from '../../support/cli-process.ts';
import { type TestSchema, testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until, within } from '../../support/until.ts';

const dir = tempDir('gecko-status-');
const env = { ...process.env, GECKO_LOG_LEVEL: 'warn', XDG_STATE_HOME: path.join(dir, 'state') };
const sqliteDb = path.join(dir, 'status.db');
let pg: TestSchema;

async function gecko(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: dir, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  pg = await testSchema('gecko_status');
  const runs = await Promise.all(
    [sqliteDb, pg.url].map((db) =>
      gecko(['collect', '--simulate', '--duration', '3', '--collectors', '2', '--db', db]),
    ),
  );
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
}, 90_000);

describe('gecko-collector status', () => {
  it('--json and the table show every pool with its stored trades, on both engines', async () => {
    for (const db of [sqliteDb, pg.url]) {
      const json = await gecko(['status', '--db', db, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout) as StatusReport;
      expect(report.engine).toBe(db === sqliteDb ? 'sqlite' : 'postgres');
      expect(report.pools.length).toBeGreaterThan(0);
      const stored =
        db === sqliteDb
          ? Number(
              (
                await promisify(execFile)('sqlite3', [sqliteDb, 'SELECT count(*) FROM trades'], { encoding: 'utf8' })
              ).stdout.trim(),
            )
          : await pg.count('SELECT count(*)::int AS n FROM trades');
      // Every trade of a 3 s run is of the last day, so the hourly counts add up to the trades stored.
      expect(report.pools.reduce((n, p) => n + p.hourly.reduce((a, b) => a + b, 0), 0)).toBe(stored);
      for (const p of report.pools) {
        expect(p.lastTradeAt, p.pool).not.toBeNull();
        expect(p.tradesPerMin, p.pool).toBeGreaterThan(0);
        expect(p.openGaps, p.pool).toBe(0);
        expect(p.coverage, p.pool).toBe(1);
        expect(p.hourly).toHaveLength(24);
      }
      // The run's figures from its metrics file: it finished.
      expect(report.run?.state).toBe('finished');
      expect(report.run?.breaker.state).toBe('CLOSED');

      const text = await gecko(['status', '--db', db]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^pools: ${report.pools.length}$`, 'm'));
      expect(text.stdout).toMatch(/^breaker CLOSED /m);
      // Poll interval and rate as the schedule stored them (– before it has).
      const row = /^ {2}\S+ +\d+(\.\d)? (s|min|h) ago +[\d.,]+ +([\d.]+ (ms|s|min)|–) +([\d.,]+|–) +100% +0( +0)?$/gm;
      expect(text.stdout.match(row)).toHaveLength(report.pools.length);
    }
  });

  it('a run whose figures never got their end is running while it holds the lock, and died once nothing does', async () => {
    const file = metricsFilePath(sqliteDb);
    const finished = fs.readFileSync(file, 'utf8');
    // What a killed run leaves: its last snapshot, no finishedAt.
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(finished), finishedAt: null }));
    try {
      const report = async () =>
        JSON.parse((await gecko(['status', '--db', sqliteDb, '--json'])).stdout) as StatusReport;
      expect((await report()).run?.state).toBe('died');
      expect((await gecko(['status', '--db', sqliteDb])).stdout).toMatch(
        /^run {5}died: killed or crashed; figures of \S+ \S+Z$/m,
      );
      // The lock a running collector holds, taken by the same code.
      const lock = DatabaseLock.acquire(sqliteDb);
      try {
        expect((await report()).run?.state).toBe('running');
        expect((await gecko(['status', '--db', sqliteDb])).stdout).toMatch(/^run {5}since /m);
      } finally {
        lock.release();
      }
    } finally {
      fs.writeFileSync(file, finished);
    }
  });

  it('--watch redraws until SIGINT, then exits 0', async () => {
    const watch = spawnCli(['status', '--db', sqliteDb, '--watch', '0.2'], dir, env);
    await until(() => (watch.out().match(/^status {2}/gm) ?? []).length >= 3, 30_000, 'three redraws');
    watch.child.kill('SIGINT');
    expect(await within(watch.exited(), 10_000, 'status --watch to stop')).toBe(0);
  });

  it('a missing database exits 1 in one line, and is not created', async () => {
    const missing = path.join(dir, 'none.db');
    const r = await gecko(['status', '--db', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^gecko-collector status: database file not found: .*none\.db/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(missing)).toBe(false);
    const bad = await gecko(['status', '--db', sqliteDb, '--watch', 'soon']);
    expect(bad.code).toBe(2);
  });
});
