// collect with a key fills the gaps it records from spare budget only: against the simulator's paid API, a busy
// pool polled less often than its 300-trade window records gaps, each of which is filled while the run goes on
// (filled_at set, every trade the pool made in the gap stored), and every pool is still polled on its schedule.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';
import { startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { spawnCli } from '../../support/cli-process.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const KEY = 'test-key-gap-fill';
let sim: GeckoSimulator;

beforeAll(async () => {
  // Pool 0 makes 150 trades/s: a poll every 3 s sees 450, more than one 300-trade answer holds.
  sim = await startGeckoSimulator({ apiKey: KEY, pools: 2, tradesPerSecond: [150, 2], historySeconds: 60 });
});
afterAll(() => sim.close());

describe('collect: gap fill from spare budget', () => {
  it('a low-priority slot is granted only when the budget was left unused for two intervals', () => {
    let now = 1_000_000;
    const limiter = new SharedRateLimiter({ callsPerMinute: 60, minSpacingMs: 0, clock: () => now });
    expect(limiter.trySpare()).toBe(false); // the budget was never idle for two intervals
    now += 2000;
    expect(limiter.trySpare()).toBe(true);
    expect(limiter.trySpare()).toBe(false); // that slot is taken: a live call now waits for the next
    now += 1000;
    void limiter.reserve(); // a live call: it goes first, and the spare one waits two intervals after it
    now += 1500;
    expect(limiter.trySpare()).toBe(false);
    now += 1000;
    expect(limiter.trySpare()).toBe(true);
  });

  it('SQLite: the gaps a run records are filled while it runs; the live polls keep their schedule', async () => {
    const path = `${tempDir('collect-fill-')}/gecko.db`;
    const run = await startCollection({
      dbUrl: `sqlite:///${path}`,
      baseUrl: sim.baseUrl,
      apiKey: KEY,
      pools: sim.pools.map((p) => p.address),
      schedule: 'fixed',
      pollIntervalMs: 3000,
      callsPerMinute: 600,
      minSpacingMs: 0,
      collectors: 1,
      metricsFile: false,
    });
    // Runs until two gaps are filled and every pool was polled four times, however slow the machine.
    const watch = new Database(path, { readonly: true, fileMustExist: true });
    try {
      await until(
        () =>
          (watch.prepare('SELECT count(*) FROM collection_gaps WHERE filled_at IS NOT NULL').pluck().get() as number) >=
            2 && sim.pools.every((p) => sim.polls().filter((x) => x.pool === p.address).length >= 4),
        90_000,
        'two gaps filled and four polls of each pool',
      );
    } finally {
      watch.close();
      run.stop();
    }
    const summary = await run.done;
    expect(summary.outcome).toBe('collected');
    const db = new Database(path, { readonly: true });
    try {
      const gaps = db
        .prepare(
          'SELECT pool_id, gap_start, gap_end, filled_at, filled_trades, fill_error, estimated_missed FROM collection_gaps',
        )
        .all() as {
        pool_id: string;
        gap_start: string;
        gap_end: string;
        filled_at: string | null;
        filled_trades: number | null;
        fill_error: string | null;
        estimated_missed: number;
      }[];
      // The run's coverage counts as missed only what its fill did not find: a filled gap lost nothing.
      const stillMissed = gaps
        .filter((g) => g.filled_at === null)
        .reduce((sum, g) => sum + Math.max(0, g.estimated_missed - (g.filled_trades ?? 0)), 0);
      expect(gaps.some((g) => g.filled_at !== null && g.estimated_missed > 0)).toBe(true);
      expect(Math.abs(summary.coverage.estimatedMissed - stillMissed)).toBeLessThanOrEqual(2);
      expect(gaps.length).toBeGreaterThanOrEqual(2);
      const filled = gaps.filter((g) => g.filled_at !== null);
      // Gaps are filled oldest first and none is passed over: the open ones (recorded too late in the run, or the
      // one in flight at the stop) all come after the last filled one.
      const byStart = [...gaps].sort((x, y) => (x.gap_start < y.gap_start ? -1 : x.gap_start > y.gap_start ? 1 : 0));
      const lastFilled = byStart.map((g) => g.filled_at !== null).lastIndexOf(true);
      expect(byStart.slice(0, lastFilled + 1).filter((g) => g.filled_at === null)).toEqual([]);
      expect(filled.length).toBeGreaterThanOrEqual(2);
      const busy = sim.pools[0]!.address;
      for (const g of filled) {
        expect(g.fill_error).toBeNull();
        const fromSec = Math.floor(Date.parse(`${g.gap_start.replace(' ', 'T')}Z`) / 1000);
        const toSec = Math.ceil(Date.parse(`${g.gap_end.replace(' ', 'T')}Z`) / 1000);
        const made = sim.truth({ pool: busy, ids: true, fromMs: fromSec * 1000, toMs: toSec * 1000 }).pools[0]!.ids!;
        const stored = new Set(
          db
            .prepare('SELECT id FROM trades WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ?')
            .pluck()
            .all(g.pool_id, iso(fromSec), iso(toSec)) as string[],
        );
        expect(made.filter((id) => !stored.has(id))).toEqual([]);
        expect(g.filled_trades).toBeGreaterThan(0);
      }
    } finally {
      db.close();
    }
    // Live polls first: each pool kept being polled on its 3 s schedule whatever the fills took.
    const polls = sim.polls();
    for (const p of sim.pools) expect(polls.filter((x) => x.pool === p.address).length).toBeGreaterThanOrEqual(4);
    expect(sim.stats().routes.range).toBeGreaterThan(0);
  });

  it('collect --no-fill-gaps records the gaps and leaves them open: no range call is made', async () => {
    const dir = tempDir('collect-nofill-');
    const rangeBefore = sim.stats().routes.range;
    const pools = sim.pools.map((p) => p.address).join(',');
    const cli = spawnCli(
      [
        'collect',
        '--db',
        'sqlite:///gecko.db',
        '--base-url',
        sim.baseUrl,
        '--pools',
        pools,
        '--no-fill-gaps',
        '--schedule',
        'fixed',
        '--poll-interval',
        '3',
        '--calls-per-minute',
        '600',
        '--collectors',
        '1',
      ],
      dir,
      { GECKO_API_KEY: KEY },
    );
    try {
      // Three gaps: with filling on, the first would be filled by now (the test above).
      await until(() => gapCount(`${dir}/gecko.db`) >= 3, 90_000, 'three gaps recorded');
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited(), cli.out()).toBe(0);
    const db = new Database(`${dir}/gecko.db`, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM collection_gaps WHERE filled_at IS NOT NULL').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    expect(sim.stats().routes.range - rangeBefore).toBe(0);
  });
});

function gapCount(path: string): number {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) FROM collection_gaps').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('T', ' ').replace('Z', '');
