// What a person reads fits 80 columns: every --help (the top level and each command it lists), doctor and
// status on SQLite and on PostgreSQL, the ohlcv table, each from a real CLI process (not a terminal: 80 columns) on databases
// a simulated collect filled (a skewed market polled slowly, so there are gaps to list); --wide lifts the limit.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

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

// The busiest skewed pool makes 60 trades/s: polled every 6 s (twice), more than the API's 300 newest each time.
const COLLECT = ['collect', '--simulate', '--market', 'skewed', '--poll-interval', '6', '--duration', '13'];

beforeAll(async () => {
  const schema = await testSchema('gecko_width');
  pgUrl = schema.url;
  const runs = await Promise.all([
    gecko([...COLLECT, '--db', sqliteDb]),
    gecko([...COLLECT, '--db', pgUrl, '--collectors', '2']),
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
