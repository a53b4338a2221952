// `gecko-collector collect` in-process through main(): a simulated run with 4 collector threads stores exactly
// the distinct trades the simulator served, with no lock errors; bad flags are one-line usage errors (exit 2).
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { cli, field, num } from '../../support/collect-run.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir();

/** Some pools have stored trades, and exactly those have a cursor in collection_state. */
function expectCursorPerStoredPool(db: Database.Database): void {
  const ids = (sql: string) => (db.prepare(sql).all() as { id: string }[]).map((r) => r.id);
  const withTrades = ids('SELECT DISTINCT pool_id AS id FROM trades ORDER BY 1');
  expect(withTrades.length).toBeGreaterThan(0);
  expect(ids('SELECT pool_id AS id FROM collection_state ORDER BY 1')).toEqual(withTrades);
}

describe('collect command', () => {
  it('--simulate with 4 collectors stores exactly the distinct trades served, with no lock errors', async () => {
    const dbPath = path.join(dir, 'cli.db');
    const r = await cli([
      'collect',
      '--simulate',
      '--duration',
      '3',
      '--collectors',
      '4',
      '--poll-interval',
      '0.5',
      '--db',
      `sqlite:///${dbPath}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('collection summary');
    const stored = num(field(r.stdout, 'trades stored (new)'));
    const n = stored.toLocaleString('en-US');
    expect(field(r.stdout, 'stored == served')).toBe(`yes (${n} stored, ${n} served new)`);
    expect(field(r.stdout, 'served in database')).toBe(`${n} of the ${n}`);
    expect(field(r.stdout, 'outcome')).toBe('collected');
    expect(field(r.stdout, 'lock errors')).toMatch(/^0 /);
    expect(field(r.stdout, 'errors')).toMatch(/^0 /);
    expect(field(r.stdout, 'manager')).toMatch(/^funnel, 4 collectors, 8 pools/);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n).toBe(stored);
      expect((db.prepare('SELECT count(*) AS n FROM pools').get() as { n: number }).n).toBe(8);
      // A cursor for each pool whose trades were stored (how many pools 3 s reach depends on the machine).
      expectCursorPerStoredPool(db);
    } finally {
      db.close();
    }
  });

  it('--manager direct (the old way) collects the same way', async () => {
    const dbPath = path.join(dir, 'direct.db');
    const r = await cli([
      'collect',
      '--simulate',
      '--duration',
      '1',
      '--collectors',
      '2',
      '--manager',
      'direct',
      '--db',
      `sqlite:///${dbPath}`,
    ]);
    expect(r.code).toBe(0);
    const stored = num(field(r.stdout, 'trades stored (new)'));
    expect(field(r.stdout, 'stored == served')).toMatch(/^yes /);
    expect(field(r.stdout, 'manager')).toMatch(/^direct, 2 collectors/);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n).toBe(stored);
      expectCursorPerStoredPool(db);
    } finally {
      db.close();
    }
  });

  it('--top N --base-url URL: fetches the top pools first and stores their metadata', async () => {
    const sim = await startGeckoSimulator({ seed: 5, pools: 5, tradesPerSecond: 1, historySeconds: 120 });
    try {
      const dbPath = path.join(dir, 'top.db');
      const r = await cli([
        'collect',
        '--top',
        '2',
        '--base-url',
        sim.baseUrl,
        // Long enough for both pools' first polls on a loaded machine: seeded by their counters, the second waits
        // for a spare slot of the budget after the first.
        '--duration',
        '3',
        '--collectors',
        '2',
        '--calls-per-minute',
        '600',
        '--db',
        `sqlite:///${dbPath}`,
      ]);
      expect(r.code).toBe(0);
      expect(field(r.stdout, 'manager')).toMatch(/^funnel, 2 collectors, 2 pools/);
      const db = new Database(dbPath, { readonly: true });
      try {
        const pools = db.prepare('SELECT id, discovery_source FROM pools ORDER BY id').all() as {
          id: string;
          discovery_source: string;
        }[];
        expect(pools).toHaveLength(2);
        expect(pools.every((p) => p.discovery_source === 'top_pools')).toBe(true);
        const trades = (db.prepare('SELECT count(DISTINCT pool_id) AS n FROM trades').get() as { n: number }).n;
        expect(trades).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      await sim.close();
    }
  });

  it('--help lists every flag with its default', async () => {
    const r = await cli(['collect', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--network',
      '--pools',
      '--pools-file',
      '--top',
      '--db',
      '--collectors',
      '--duration',
      '--simulate',
      '--manager',
      '--preset',
      '--poll-interval',
      '--calls-per-minute',
      '--base-url',
      '--collector-nice',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('default: sqlite:///gecko_data.db');
    expect(r.stdout).toContain('default: 4');
    expect(r.stdout).toContain('default: 60');
  });

  it.each([
    [['--simulate', '--collectors', '0'], /--collectors must be an integer/],
    [['--simulate', '--manager', 'pool'], /--manager must be one of funnel, direct/],
    [['--simulate', '--preset', 'fast'], /--preset must be one of/],
    [['--simulate', '--duration', 'soon'], /--duration must be a duration in seconds/],
    [
      ['--simulate', '--duration', '-1'],
      /^gecko-collector collect: --duration must be a duration in seconds from 0\.1 .*, got "-1"$/m,
    ],
    [['--simulate', '--collectors', '-1'], /--collectors must be an integer from 1 to 256, got "-1"/],
    [['--pools', 'a', '--top', '3'], /only one of --pools, --pools-file, --watchlist, --top \(got --pools and --top\)/],
    [['--pools-file', '/nonexistent/pools.txt'], /cannot read --pools-file/],
    [[], /say which pools/],
    [['--simulate', '--base-url', 'http://x'], /exclude each other/],
    [
      ['--simulate', '--db', 'mysql://x/y'],
      /--db must be a database file path, a sqlite:\/\/\/ URL or a postgresql:\/\/ URL/,
    ],
    [['--simulate', '--db', 'postgres://x'], /the URL names no database/],
    [['--simulate', '--db', 'postgresql://root@127.0.0.1/test', '--manager', 'direct'], /SQLite rollback path/],
    [['--simulate', '--bogus'], /Unknown option/],
    [['--pools', '--simulate'], /^gecko-collector collect: --pools needs a value \(write --pools=VALUE/],
    [['--simulate', '--collector-nice', '20'], /--collector-nice must be an integer from 0 to 19/],
    [['--simulate', '--collector-nice', 'low'], /--collector-nice must be an integer from 0 to 19/],
  ])('bad value %j → exit 2 with one line', async (args, message) => {
    const r = await cli(['collect', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
