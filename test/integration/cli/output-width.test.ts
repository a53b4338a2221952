// What a person reads fits 80 columns: every --help (the top level and each command it lists), doctor and
// status on SQLite and on PostgreSQL, the ohlcv table, each from a real CLI process (not a terminal: 80 columns) on databases
// a simulated collect filled (a skewed market polled slowly, so there are gaps to list); --wide lifts the limit.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCollectChild } from '../../support/collect-child.ts';
import { testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir('gecko-width-');
const sqliteDb = path.join(dir, 'fit.db');
let pgUrl = '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function gecko(args: readonly string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, GECKO_LOG_LEVEL: 'warn', XDG_STATE_HOME: path.join(dir, 'state'), COLUMNS: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function overWidth(text: string, width = 80): string[] {
  return text.split('\n').filter((l) => [...l].length > width);
}

// The busiest skewed pool makes 60 trades/s: polled every 6 s, more than the API's 300 newest each time.
const COLLECT = ['--simulate', '--market', 'skewed', '--poll-interval', '6', '--duration', '60'];

/** A collect run, stopped (SIGTERM, a clean stop) once `hasGap` says the database holds a gap for doctor to list. */
async function collectUntilGap(args: string[], hasGap: () => Promise<boolean>) {
  let gap = false;
  // No gap within the wait: the run goes on to its --duration and doctor's "gaps:" check fails.
  until(hasGap, 60_000, 'a recorded gap').then(
    () => (gap = true),
    () => undefined,
  );
  return runCollectChild([...COLLECT, ...args], 50, {
    cwd: dir,
    env: { GECKO_LOG_LEVEL: 'warn', XDG_STATE_HOME: path.join(dir, 'state') },
    stopWhen: () => gap,
  });
}

beforeAll(async () => {
  const schema = await testSchema('gecko_width');
  pgUrl = schema.url;
  const sqliteGaps = async () => {
    try {
      const d = new Database(sqliteDb, { readonly: true, fileMustExist: true });
      try {
        return (d.prepare('SELECT count(*) AS n FROM collection_gaps').get() as { n: number }).n > 0;
      } finally {
        d.close();
      }
    } catch {
      return false; // not created or not migrated yet
    }
  };
  const pgGaps = () =>
    schema.count('SELECT count(*)::int AS n FROM collection_gaps').then(
      (n) => n > 0,
      () => false,
    );
  const runs = await Promise.all([
    collectUntilGap(['--db', sqliteDb], sqliteGaps),
    collectUntilGap(['--db', pgUrl, '--collectors', '2'], pgGaps),
  ]);
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
}, 120_000);

// Each test only reads the databases the collect runs filled: side by side.
describe.concurrent('output that fits 80 columns', () => {
  it('every --help, the top level and each command it lists', async () => {
    const top = await gecko(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['collect', 'import', 'export', 'ohlcv', 'doctor', 'config']));
    expect(overWidth(top.stdout)).toEqual([]);
    const helps = await Promise.all(commands.map((name) => gecko([name, '--help'])));
    for (const [i, name] of commands.entries()) {
      const help = helps[i]!;
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^usage: gecko-collector ${name}`));
      expect(overWidth(help.stdout), name).toEqual([]);
    }
  });

  it('doctor on SQLite and on PostgreSQL, with gaps to list; --wide is wider', async () => {
    for (const db of [sqliteDb, pgUrl]) {
      const doctor = await gecko(['doctor', '--db', db]);
      expect(doctor.code, doctor.stderr).toBe(0);
      expect(doctor.stdout).toMatch(/^pools: \d+$/m);
      expect(doctor.stdout).toMatch(/^gaps: [1-9]/m);
      expect(overWidth(doctor.stdout), db).toEqual([]);
      const wide = await gecko(['doctor', '--db', db, '--wide']);
      expect(wide.code).toBe(0);
      expect(overWidth(wide.stdout).length, db).toBeGreaterThan(0);
    }
  });

  it('status on SQLite and on PostgreSQL; --wide adds the day chart', async () => {
    for (const db of [sqliteDb, pgUrl]) {
      const status = await gecko(['status', '--db', db]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^pools: \d+$/m);
      expect(overWidth(status.stdout), db).toEqual([]);
      const wide = await gecko(['status', '--db', db, '--wide']);
      expect(wide.stdout).toMatch(/ last 24 h$/m);
      expect(overWidth(wide.stdout).length, db).toBeGreaterThan(0);
    }
  });

  it('the ohlcv table; --wide adds the counts', async () => {
    for (const db of [sqliteDb, pgUrl]) {
      const table = await gecko(['ohlcv', '--db', db, '--timeframe', '1m']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^pool \S+\ntime \(UTC\) +open +high +low +close +volume_usd$/m);
      expect(overWidth(table.stdout)).toEqual([]);
      const wide = await gecko(['ohlcv', '--db', db, '--timeframe', '1m', '--wide']);
      expect(wide.stdout).toMatch(/ trades +buys +sells$/m);
      expect(overWidth(wide.stdout).length).toBeGreaterThan(0);
    }
  });
});
