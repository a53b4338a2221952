// reconcile against the simulator's candles (keyless), on a real SQLite file and a real PostgreSQL schema: a store
// with a known hole of two whole minutes has exactly those buckets flagged short, its completeness is what the
// hole leaves, a pool without a hole is complete; the API's candles and the result are kept; a --min-volume-usd
// store is said to be unable to add up to the API's volume.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../src/cli/doctor-command.ts';
import { ohlcvCommand } from '../../../src/cli/ohlcv-command.ts';
import { reconcileCommand } from '../../../src/cli/reconcile-command.ts';
import { runBackfill } from '../../../src/fill/backfill-run.ts';
import type { ReconcileSummary } from '../../../src/fill/reconcile-run.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { openFillReads } from '../../../src/storage/open-fill-reads.ts';
import { captureIo } from '../../support/capture-io.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const KEY = 'test-key-reconcile';
let sim: GeckoSimulator;
/** The same market keyless (same seed: the same trades at the same times): what reconcile asks. */
let keyless: GeckoSimulator;
let base: number;

beforeAll(async () => {
  sim = await startGeckoSimulator({ apiKey: KEY, pools: 2, tradesPerSecond: 3, historySeconds: 900 });
  keyless = await startGeckoSimulator({ pools: 2, tradesPerSecond: 3, historySeconds: 900 });
  base = Math.floor(Date.now() / 60_000) * 60 - 600;
});
afterAll(async () => {
  await sim.close();
  await keyless.close();
});

/** Pool 0 stored in [base, base+240) and [base+360, base+540): a hole of the two minutes between; pool 1 whole. */
async function storeWithHole(url: string): Promise<string[]> {
  const ids = sim.pools.map((p) => `${sim.network}_${p.address}`);
  const manager = new LockOptimizedDatabaseManager({ url });
  await manager.initialize();
  const reads = await openFillReads(url);
  const client = new GeckoTerminalClient({
    rateLimiter: new SharedRateLimiter({ callsPerMinute: 60_000, minSpacingMs: 0 }),
    apiKey: KEY,
    baseUrl: sim.baseUrl,
  });
  const fill = (poolIds: string[], sinceSec: number, untilSec: number) =>
    runBackfill({
      reads,
      write: (p) => manager.write(p),
      client,
      network: sim.network,
      pageSize: 300,
      poolIds,
      sinceSec,
      untilSec,
    });
  try {
    await fill([ids[0]!], base, base + 239);
    await fill([ids[0]!], base + 360, base + 539);
    await fill([ids[1]!], base, base + 539);
  } finally {
    await reads.close();
    await manager.close();
  }
  return ids;
}

async function reconcile(url: string, extra: string[] = []): Promise<{ code: number; out: string }> {
  const io = captureIo();
  const code = await reconcileCommand.run(
    ['--db', url, '--base-url', keyless.baseUrl, '--timeframe', '1m', '--calls-per-minute', '60000', ...extra],
    io.io,
  );
  return { code, out: io.stdout() };
}

/** doctor's newest reconcile per pool: text and --json. */
async function checkDoctor(url: string, r: ReconcileSummary): Promise<void> {
  const json = captureIo();
  await doctorCommand.run(['--db', url, '--json'], json.io);
  const rows = (JSON.parse(json.stdout()) as { reconciles: { poolId: string; shortBuckets: number }[] }).reconciles;
  expect(rows.map((x) => [x.poolId, x.shortBuckets]).sort()).toEqual(
    r.pools.map((p) => [p.poolId, p.short.length]).sort(),
  );
  const text = captureIo();
  await doctorCommand.run(['--db', url], text.io);
  expect(text.stdout()).toContain('reconcile (newest per pool');
  const holed = r.pools.find((p) => p.short.length > 0)!;
  expect(text.stdout()).toContain(`${holed.short.length}/${holed.buckets}`);
}

/** ohlcv --source: api gives the kept candles; best fills the hole's buckets from them, the rest from trades. */
async function checkSources(url: string, r: ReconcileSummary): Promise<void> {
  const holed = r.pools.find((p) => p.short.length > 0)!;
  const read = async (source: string) => {
    const io = captureIo();
    const args = ['--db', url, '--timeframe', '1m', '--format', 'ndjson', '--pool', holed.poolId, '--source', source];
    expect(await ohlcvCommand.run(args, io.io)).toBe(0);
    return io
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { bucket_start: string; source: string; trades: number | null });
  };
  const api = await read('api');
  expect(api).toHaveLength(holed.apiCandles);
  expect(new Set(api.map((c) => c.source))).toEqual(new Set(['api']));
  expect(api.every((c) => c.trades === null)).toBe(true);
  const best = await read('best');
  const minute = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const holeMinutes = holed.short.map((b) => minute(b.startSec));
  const fromApi = best.filter((c) => c.source === 'api').map((c) => c.bucket_start);
  expect(fromApi).toEqual(expect.arrayContaining(holeMinutes));
  // Buckets the trades hold whole come from the trades; only the hole and the span's cut edges from the API.
  const inside = best.filter((c) => c.bucket_start >= minute(holed.fromSec) && c.bucket_start < minute(holed.toSec));
  expect(inside.filter((c) => c.source === 'api').map((c) => c.bucket_start)).toEqual(holeMinutes);
  expect(inside.length).toBe(holed.buckets);
}

function checkSummary(r: ReconcileSummary, ids: string[]): void {
  const [holed, whole] = [r.pools.find((p) => p.poolId === ids[0])!, r.pools.find((p) => p.poolId === ids[1])!];
  expect(holed.short.map((b) => b.startSec)).toEqual([base + 240, base + 300]);
  for (const b of holed.short) expect(b.storedVolumeUsd).toBe(0);
  const missing = holed.short.reduce((s, b) => s + b.apiVolumeUsd, 0);
  expect(missing).toBeGreaterThan(0);
  expect(holed.completeness).toBeCloseTo(1 - missing / holed.apiVolumeUsd, 9);
  expect(holed.completeness!).toBeLessThan(0.8);
  expect(whole.short).toEqual([]);
  expect(whole.completeness).toBeCloseTo(1, 9);
  // Whole buckets only: the first (cut by the first trade) and the last (cut by the last) are not compared.
  expect(holed.fromSec).toBeGreaterThanOrEqual(base);
  expect(holed.toSec).toBeLessThanOrEqual(base + 540);
  expect(holed.buckets).toBe((holed.toSec - holed.fromSec) / 60);
}

describe('reconcile', () => {
  it('SQLite: the hole is flagged bucket by bucket; candles and the result kept; a filtered store is said so', async () => {
    const path = `${tempDir('reconcile-')}/gecko.db`;
    const ids = await storeWithHole(path);
    const { code, out } = await reconcile(path, ['--json']);
    expect(code, out).toBe(0);
    const r = JSON.parse(out) as ReconcileSummary;
    checkSummary(r, ids);
    expect(r.minVolumeUsd).toBeNull();
    const db = new Database(path, { readonly: true });
    try {
      const kept = db
        .prepare(`SELECT count(*) AS n FROM ohlcv_candles WHERE source = 'api' AND timeframe = '1m'`)
        .get();
      expect(kept).toEqual({ n: r.candlesKept });
      expect(r.candlesKept).toBe(r.pools.reduce((s, p) => s + p.apiCandles, 0));
      const runs = db.prepare('SELECT pool_id, short_buckets, completeness FROM reconcile_runs ORDER BY pool_id').all();
      expect(runs).toEqual(
        [...r.pools]
          .sort((a, b) => (a.poolId < b.poolId ? -1 : 1))
          .map((p) => ({ pool_id: p.poolId, short_buckets: p.short.length, completeness: p.completeness })),
      );
    } finally {
      db.close();
    }
    await checkDoctor(path, r);
    await checkSources(path, r);

    const text = await reconcile(path, ['--min-volume-usd', '100']);
    expect(text.code).toBe(0);
    expect(text.out).toContain("cannot add up to the API's volume");
    expect(text.out).toMatch(/short buckets \(stored below the API's volume by more than 2 %\)/);
    for (const line of text.out.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('PostgreSQL: the same hole, the same buckets flagged, the result kept', async () => {
    const t = await testSchema('gecko_reconcile');
    const ids = await storeWithHole(t.url);
    const { code, out } = await reconcile(t.url, ['--json']);
    expect(code, out).toBe(0);
    const r = JSON.parse(out) as ReconcileSummary;
    checkSummary(r, ids);
    expect(await t.count(`SELECT count(*)::int AS n FROM ohlcv_candles WHERE source = 'api'`)).toBe(r.candlesKept);
    expect(await t.count('SELECT count(*)::int AS n FROM reconcile_runs')).toBe(2);
    await checkDoctor(t.url, r);
    await checkSources(t.url, r);
  });
});
