// backfill against the simulator's paid range endpoint, on real SQLite files and a real PostgreSQL schema: a
// truncated span filled with forced splits (every trade the pool made in it stored once, the gap marked filled);
// an answer that fails halfway, then a resume; the keyless refusal (exit 2, one line).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillCommand } from '../../../src/cli/backfill-command.ts';
import { doctorCommand } from '../../../src/cli/doctor-command.ts';
import { runBackfill } from '../../../src/fill/backfill-run.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { openFillReads } from '../../../src/storage/open-fill-reads.ts';
import { captureIo } from '../../support/capture-io.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const KEY = 'test-key-backfill';
const PAGE = 50;
let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({
    apiKey: KEY,
    pools: 2,
    tradesPerSecond: 8,
    rangePageSize: PAGE,
    historySeconds: 600,
  });
});
afterAll(() => sim.close());

const iso = (ms: number) => new Date(ms).toISOString();

/** A store with one recorded gap of pool 0: [now - 90 s, now - 30 s] (as a full poll answer would leave it). */
async function storeWithGap(url: string): Promise<{ poolId: string; fromSec: number; toSec: number }> {
  const pool = sim.pools[0]!;
  const poolId = `${sim.network}_${pool.address}`;
  const now = Date.now();
  const fromSec = Math.floor((now - 90_000) / 1000);
  const toSec = Math.floor((now - 30_000) / 1000);
  const manager = new LockOptimizedDatabaseManager({ url });
  await manager.initialize();
  try {
    await manager.write({
      gaps: [
        {
          poolId,
          gapStart: iso(fromSec * 1000),
          gapEnd: iso(toSec * 1000),
          detectedAt: iso(now),
          tradesInResponse: 300,
        },
      ],
    });
  } finally {
    await manager.close();
  }
  return { poolId, fromSec, toSec };
}

/** Ids the simulator's pool 0 made with block time in [fromSec, toSec] (whole seconds, both included). */
function madeIds(fromSec: number, toSec: number): string[] {
  const t = sim.truth({ pool: sim.pools[0]!.address, ids: true, fromMs: fromSec * 1000, toMs: (toSec + 1) * 1000 });
  return t.pools[0]!.ids!;
}

function sqliteCheck(path: string, poolId: string, fromSec: number, toSec: number) {
  const db = new Database(path, { readonly: true });
  try {
    const ids = db
      .prepare(`SELECT id FROM trades WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ? ORDER BY id`)
      .pluck()
      .all(
        poolId,
        iso(fromSec * 1000)
          .replace('T', ' ')
          .slice(0, 19),
        iso((toSec + 1) * 1000)
          .replace('T', ' ')
          .slice(0, 19),
      ) as string[];
    const gaps = db.prepare('SELECT filled_at, filled_trades, fill_error FROM collection_gaps').all() as {
      filled_at: string | null;
      filled_trades: number | null;
      fill_error: string | null;
    }[];
    return { ids, gaps };
  } finally {
    db.close();
  }
}

function args(url: string, extra: string[] = []): string[] {
  return [
    '--db',
    url,
    '--api-key',
    KEY,
    '--base-url',
    sim.baseUrl,
    '--page-size',
    String(PAGE),
    '--calls-per-minute',
    '60000',
    '--json',
    ...extra,
  ];
}

describe('backfill', () => {
  it('SQLite: a truncated span is split until every answer is short; each trade made in it stored once', async () => {
    const dir = tempDir('backfill-');
    const path = `${dir}/gecko.db`;
    const { poolId, fromSec, toSec } = await storeWithGap(`sqlite:///${path}`);
    const before = sim.stats().routes.range;
    const out = captureIo();
    const code = await backfillCommand.run(args(path, ['--pool', poolId]), out.io);
    expect(out.stderr()).toBe('');
    expect(code, out.stdout()).toBe(0);
    const r = JSON.parse(out.stdout()) as { calls: number; inserted: number; gapsFilled: number; openGaps: number };
    const made = madeIds(fromSec, toSec);
    // About 480 trades at 8/s over 60 s: a 50-trade page forces about ten splits.
    expect(made.length).toBeGreaterThan(PAGE * 5);
    const { ids, gaps } = sqliteCheck(path, poolId, fromSec, toSec);
    expect(ids).toEqual([...made].sort());
    expect(gaps).toEqual([{ filled_at: expect.any(String), filled_trades: made.length, fill_error: null }]);
    expect(r.gapsFilled).toBe(1);
    expect(r.openGaps).toBe(0);
    expect(r.inserted).toBe(made.length);
    // Splits at the oldest second repeat a few trades, never a whole page: at most one call beyond the minimum
    // per four pages, and at least as many as the pages the span needs.
    const minimum = Math.ceil(made.length / PAGE);
    expect(r.calls).toBeGreaterThanOrEqual(minimum);
    expect(r.calls).toBeLessThanOrEqual(Math.ceil(minimum * 1.25) + 1);
    expect(sim.stats().routes.range - before).toBe(r.calls);

    // The same fill delivered twice (a resend after a writer restart) counts its trades once.
    const manager = new LockOptimizedDatabaseManager({ url: `sqlite:///${path}` });
    await manager.initialize();
    try {
      const g = new Database(path, { readonly: true })
        .prepare('SELECT gap_start, gap_end, filled_at FROM collection_gaps')
        .get() as { gap_start: string; gap_end: string; filled_at: string };
      const fill = { poolId, gapStart: g.gap_start, gapEnd: g.gap_end, fillError: null };
      await manager.write({ gapFills: [{ ...fill, filledAt: g.filled_at, filledTrades: made.length }] });
      await manager.write({ gapFills: [{ ...fill, filledAt: null, filledTrades: 7, fillError: 'late failure' }] });
    } finally {
      await manager.close();
    }
    expect(sqliteCheck(path, poolId, fromSec, toSec).gaps).toEqual(gaps);

    // doctor tells the filled gap from open ones.
    const doctor = captureIo();
    await doctorCommand.run(['--db', path, '--json'], doctor.io);
    const report = JSON.parse(doctor.stdout()) as {
      gaps: { count: number; open: number; latest: { filledAt: string | null }[] };
    };
    expect(report.gaps).toMatchObject({ count: 1, open: 0 });
    expect(report.gaps.latest[0]!.filledAt).toEqual(gaps[0]!.filled_at);

    // Again: nothing open, nothing asked for this pool (its gap is filled; it has no cursor).
    const again = captureIo();
    expect(await backfillCommand.run(args(path, ['--pool', poolId]), again.io)).toBe(0);
    expect(JSON.parse(again.stdout())).toMatchObject({ calls: 0, inserted: 0, openGaps: 0 });
  });

  it('SQLite: an answer that fails halfway leaves the gap open with its reason; the next run fills it', async () => {
    const dir = tempDir('backfill-resume-');
    const url = `sqlite:///${dir}/gecko.db`;
    const { poolId, fromSec, toSec } = await storeWithGap(url);
    let ranges = 0;
    const faulty = await startGeckoSimulator({
      apiKey: KEY,
      pools: 2,
      tradesPerSecond: 8,
      rangePageSize: PAGE,
      historySeconds: 600,
      onRequest: (req) => {
        // The fourth page of the span comes back broken (a 200 whose body is not a trades document).
        if (req.url.includes('/trades/range') && ++ranges === 4) faulty.setFaults({ malformedRate: 1 });
      },
    });
    try {
      const run = async () => {
        const manager = new LockOptimizedDatabaseManager({ url });
        await manager.initialize();
        const reads = await openFillReads(url);
        try {
          return await runBackfill({
            reads,
            write: (p) => manager.write(p),
            client: new GeckoTerminalClient({
              rateLimiter: new SharedRateLimiter({ callsPerMinute: 60_000, minSpacingMs: 0 }),
              apiKey: KEY,
              baseUrl: faulty.baseUrl,
              maxRetries: 0,
            }),
            network: sim.network,
            pageSize: PAGE,
            poolIds: [poolId],
          });
        } finally {
          await reads.close();
          await manager.close();
        }
      };
      const first = await run();
      expect(first.gapsFailed).toBe(1);
      expect(first.failures[0]!.error).toMatch(/not|malformed|JSON|unreadable/i);
      expect(first.calls).toBe(4);
      const path = url.slice('sqlite:///'.length);
      const halfway = sqliteCheck(path, poolId, fromSec, toSec);
      // Three answers were stored before the broken one; the gap stays open, with the reason.
      expect(halfway.ids.length).toBeGreaterThanOrEqual(3 * PAGE - 3 * 8);
      expect(halfway.gaps).toEqual([
        { filled_at: null, filled_trades: halfway.ids.length, fill_error: first.failures[0]!.error },
      ]);
      // The failure's record delivered again (a resend after a writer restart) does not count its trades twice.
      const resend = new LockOptimizedDatabaseManager({ url });
      await resend.initialize();
      try {
        const [gap] = await (async () => {
          const reads = await openFillReads(url);
          try {
            return await reads.openGaps([poolId]);
          } finally {
            await reads.close();
          }
        })();
        expect(gap!.filledTrades).toBe(halfway.ids.length);
        await resend.write({
          gapFills: [{ ...gap!, filledAt: null, filledTrades: gap!.filledTrades, fillError: gap!.fillError }],
        });
      } finally {
        await resend.close();
      }
      expect(sqliteCheck(path, poolId, fromSec, toSec).gaps).toEqual(halfway.gaps);

      faulty.setFaults({ malformedRate: 0 });
      const second = await run();
      expect(second.gapsFilled).toBe(1);
      expect(second.openGaps).toBe(0);
      const made = madeIds(fromSec, toSec);
      const done = sqliteCheck(path, poolId, fromSec, toSec);
      expect(done.ids).toEqual([...made].sort());
      expect(done.gaps).toEqual([{ filled_at: expect.any(String), filled_trades: made.length, fill_error: null }]);
      expect(second.inserted + halfway.ids.length).toBe(made.length);
    } finally {
      await faulty.close();
    }
  });

  it('keyless: one line saying the range endpoint needs a paid plan, exit 2, no database touched', async () => {
    const dir = tempDir('backfill-keyless-');
    const out = captureIo();
    const env = process.env.GECKO_API_KEY;
    delete process.env.GECKO_API_KEY;
    try {
      expect(await backfillCommand.run(['--db', `${dir}/gecko.db`, '--base-url', sim.baseUrl], out.io)).toBe(2);
    } finally {
      if (env !== undefined) process.env.GECKO_API_KEY = env;
    }
    expect(out.stdout()).toBe('');
    expect(out.stderr()).toBe('gecko-collector backfill: needs an API key of a paid plan (Analyst or above)\n');
    expect(out.stderr().length).toBeLessThanOrEqual(81);
    expect(sim.stats().unauthorized).toBe(0);
  });

  it('PostgreSQL: the same split fill, and the gap marked filled', async () => {
    const t = await testSchema('gecko_backfill');
    const { poolId, fromSec, toSec } = await storeWithGap(t.url);
    const out = captureIo();
    expect(await backfillCommand.run(args(t.url, ['--pool', poolId]), out.io)).toBe(0);
    const made = madeIds(fromSec, toSec);
    const ids = (
      await t.query<{ id: string }>(
        `SELECT id FROM trades WHERE pool_id = $1 AND block_timestamp >= to_timestamp($2) AND block_timestamp < to_timestamp($3)
         ORDER BY id COLLATE "C"`,
        [poolId, fromSec, toSec + 1],
      )
    ).map((r) => r.id);
    expect(ids).toEqual([...made].sort());
    expect(
      await t.query('SELECT filled_trades, fill_error, filled_at IS NOT NULL AS filled FROM collection_gaps'),
    ).toEqual([{ filled_trades: made.length, fill_error: null, filled: true }]);
    expect(JSON.parse(out.stdout())).toMatchObject({ gapsFilled: 1, openGaps: 0, inserted: made.length });
    const doctor = captureIo();
    await doctorCommand.run(['--db', t.url, '--json'], doctor.io);
    expect((JSON.parse(doctor.stdout()) as { gaps: { count: number; open: number } }).gaps).toMatchObject({
      count: 1,
      open: 0,
    });
  });
});
