// prune on both engines: trades of old days go to daily Parquet files that read back with their row counts, the
// candles of those days are kept so `ohlcv` answers as before, only then are the trades deleted (the cursor's trade
// kept); a second prune of the same day writes a second file beside the first; an archive that cannot be written
// deletes nothing. "Old" is a clock three days ahead, so the trades just collected from the simulator are old.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/ohlcv/candle-builder.ts';
import { ohlcvCandles } from '../../../src/ohlcv/ohlcv-candles.ts';
import { parquetRowCount } from '../../../src/retention/day-archive.ts';
import { pruneTrades } from '../../../src/retention/prune-trades.ts';
import { runCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { cli } from '../../support/collect-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const DAY_MS = 86_400_000;
let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 31, pools: 3, tradesPerSecond: 4, historySeconds: 60 });
});

afterAll(async () => {
  await sim?.close();
});

async function collect(dbUrl: string, extra: Record<string, unknown> = {}) {
  return runCollection({
    network: sim.network,
    pools: sim.pools.map((p) => p.address),
    baseUrl: sim.baseUrl,
    dbUrl,
    collectors: 2,
    pollIntervalMs: 300,
    callsPerMinute: 6000,
    minSpacingMs: 0,
    batch: 'development',
    durationMs: 1200,
    metricsFile: false,
    ...extra,
  });
}

/**
 * The candles without their close: the trade a cursor names stays stored, and in a bucket both have, the close is
 * the stored trade's (its order among trades of the same second is not kept). Closes are compared apart.
 */
async function candles(url: string, timeframe: '1m' | '1h'): Promise<Omit<Candle, 'close'>[]> {
  const out: Candle[] = [];
  for await (const batch of ohlcvCandles({ url, timeframe })) out.push(...batch);
  // SQLite keeps candles as REAL: compare values as numbers.
  return out.map(({ close: _close, ...c }) => ({
    ...c,
    open: String(Number(c.open)),
    high: String(Number(c.high)),
    low: String(Number(c.low)),
    volumeUsd: Number(c.volumeUsd).toPrecision(12),
    buyVolumeUsd: Number(c.buyVolumeUsd).toPrecision(12),
    sellVolumeUsd: Number(c.sellVolumeUsd).toPrecision(12),
  }));
}

function archiveRows(dir: string): Promise<number[]> {
  return Promise.all(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.parquet'))
      .sort()
      .map((f) => parquetRowCount(path.join(dir, f))),
  );
}

describe('prune on SQLite', () => {
  it('archives each day, reads it back, keeps its candles for ohlcv, then deletes', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'prune.db');
    const url = `sqlite:///${dbPath}`;
    const first = await collect(url);
    expect(first.stored).toBeGreaterThan(100);
    const before = { m: await candles(url, '1m'), h: await candles(url, '1h') };
    const archive = path.join(dir, 'archive');
    const now = new Date(Date.now() + 3 * DAY_MS);

    const dry = await pruneTrades({ url, olderThanMs: DAY_MS, dryRun: true, now, settleMs: 0 });
    const db = new Database(dbPath, { readonly: true });
    const tradeCount = () => (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
    try {
      expect(dry.days.reduce((s, d) => s + d.trades, 0)).toBe(first.stored - sim.pools.length);
      expect(tradeCount()).toBe(first.stored);

      const result = await pruneTrades({ url, olderThanMs: DAY_MS, archiveDir: archive, now, settleMs: 0 });
      // Everything but the trade each cursor names.
      expect(result.deleted).toBe(first.stored - sim.pools.length);
      expect(tradeCount()).toBe(sim.pools.length);
      const files = fs.readdirSync(archive).sort();
      expect(files).toEqual(result.days.map((d) => `trades-${d.day}.parquet`));
      expect((await archiveRows(archive)).reduce((a, b) => a + b, 0)).toBe(result.deleted);
      for (const d of result.days) expect(d.archived).toBe(d.deleted);
      // The collector made this file, in incremental auto-vacuum mode: the pruned pages go back to the disk.
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
      expect(result.reclaimed?.message).toMatch(/^incremental vacuum: .* given back to the file system$/);
      expect(result.reclaimed?.freedPages).toBeGreaterThan(0);

      // ohlcv answers for the pruned days as it did before.
      expect(await candles(url, '1m')).toEqual(before.m);
      expect(await candles(url, '1h')).toEqual(before.h);

      // More trades of the same day, pruned again: a second file beside the first, which is left as it was.
      const firstFile = path.join(archive, files[files.length - 1]!);
      const firstBytes = fs.readFileSync(firstFile);
      const second = await collect(url);
      const again = await pruneTrades({ url, olderThanMs: DAY_MS, archiveDir: archive, now, settleMs: 0 });
      expect(again.deleted).toBe(second.stored);
      expect(again.days.at(-1)!.archiveFile).toBe(firstFile.replace(/\.parquet$/, '.2.parquet'));
      expect(fs.readFileSync(firstFile).equals(firstBytes)).toBe(true);
      expect((await archiveRows(archive)).reduce((a, b) => a + b, 0)).toBe(result.deleted + again.deleted);
    } finally {
      db.close();
    }
  });

  it('deletes nothing when the archive cannot be written', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'fail.db');
    const url = `sqlite:///${dbPath}`;
    const run = await collect(url);
    // A file where the archive directory should be.
    const notADir = path.join(dir, 'archive');
    fs.writeFileSync(notADir, 'x');
    const now = new Date(Date.now() + 3 * DAY_MS);
    await expect(
      pruneTrades({ url, olderThanMs: DAY_MS, archiveDir: notADir, now, settleMs: 0 }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_FAILED' });
    const db = new Database(dbPath, { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n).toBe(run.stored);
      expect((db.prepare('SELECT count(*) AS n FROM ohlcv_candles').get() as { n: number }).n).toBe(0);
    } finally {
      db.close();
    }
    // Today's trades are not a day old for the command (its clock is the real one): nothing would go.
    const out = await cli(['prune', '--db', url, '--older-than', '1d', '--dry-run']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^would prune 0 days before \d{4}-\d{2}-\d{2} \(UTC\): 0 trades$/m);
  });
});

describe('prune on PostgreSQL', () => {
  it('archives, keeps the candles for ohlcv and deletes', async () => {
    const pg = await testSchema('gecko_prune');
    const dir = tempDir();
    const first = await collect(pg.url, { spoolPath: path.join(dir, 'pg.spool') });
    const before = await candles(pg.url, '1m');
    const archive = path.join(dir, 'archive');
    const now = new Date(Date.now() + 3 * DAY_MS);
    const result = await pruneTrades({ url: pg.url, olderThanMs: DAY_MS, archiveDir: archive, now, settleMs: 0 });
    expect(result.deleted).toBe(first.stored - sim.pools.length);
    expect(await pg.count('SELECT count(*)::int AS n FROM trades')).toBe(sim.pools.length);
    expect((await archiveRows(archive)).reduce((a, b) => a + b, 0)).toBe(result.deleted);
    expect(result.reclaimed?.message).toContain('autovacuum');
    expect(await candles(pg.url, '1m')).toEqual(before);
  });
});
