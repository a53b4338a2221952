// The PostgreSQL writer behind the funnel, against the real server: exact ~70-digit numerics and UTC times,
// one bad row rejected with its SQLSTATE while its batch commits, cursors that never move back, gaps a
// redelivery does not repeat, group commit across senders, stub pools for trades whose pool nobody described.
import { describe, expect, it } from 'vitest';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { PG_MIGRATION_VERSIONS } from '../../../src/storage/postgres/schema-migrations.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { runSenders } from '../faults/fault-harness.ts';

const dir = tempDir('gecko-pg-writer-');

async function open(url: string) {
  const m = new LockOptimizedDatabaseManager({ url }, { deferred: { path: `${dir}/${Math.random()}.spool` } });
  await m.initialize();
  return m;
}

const LONG = '123456789012345678901234567890.1234567890123456789012345678901234567890';

function trade(i: number, over: Partial<TradeRecord> = {}): TradeRecord {
  return { ...syntheticTrade(i, { seed: 3 }), ...over };
}

describe('PostgreSQL writer', () => {
  it('stores exact decimals and UTC instants, rejects a bad row with its SQLSTATE, keeps its batch', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    try {
      expect(m.info).toMatchObject({
        engine: 'postgres',
        migrationsApplied: PG_MIGRATION_VERSIONS,
      });
      const good = trade(1, { priceUsd: LONG, blockTimestamp: '2025-08-28T16:15:08Z' });
      // Passes the row checks, but PostgreSQL text cannot hold a NUL byte (22021): found by bisection.
      const nul = trade(2, { txHash: 'abc\u0000def' });
      const invalid = trade(3, { volumeUsd: 'NaN' });
      const rest = [4, 5, 6, 7].map((i) => trade(i));
      const ack = await m.write({ trades: [good, nul, invalid, ...rest] });
      expect(ack.inserted).toBe(5);
      expect(ack.duplicates).toBe(0);
      expect(ack.rejected.map((r) => r.id).sort()).toEqual([invalid.id, nul.id].sort());
      expect(ack.rejected.find((r) => r.id === nul.id)?.reason).toMatch(/22021/);
      const [row] = await t.query<{ p: string; ts: string }>(
        `SELECT price_usd::text AS p, to_char(block_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS ts FROM trades WHERE id = $1`,
        [good.id],
      );
      expect(row).toEqual({ p: LONG, ts: '2025-08-28 16:15:08' });
      // Redelivery: every row a duplicate, nothing twice.
      const again = await m.write({ trades: [good, ...rest] });
      expect(again).toMatchObject({ inserted: 0, duplicates: 5, rejected: [] });
      expect(await t.count('SELECT count(*)::int AS n FROM trades')).toBe(5);
      // Trades of pools nobody described get a stub pool (and its network's placeholder dex): the foreign key holds.
      const pools = await t.query<{ id: string; dex_id: string }>('SELECT id, dex_id FROM pools');
      expect(pools.length).toBeGreaterThan(0);
      expect(new Set(pools.map((p) => p.dex_id))).toEqual(new Set(['unknown-dex-solana']));
    } finally {
      await m.close();
    }
  });

  it('moves a cursor only forward and records a redelivered gap once, in the batch of its trades', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    try {
      const poolId = trade(1).poolId;
      const gap = {
        poolId,
        gapStart: '2025-08-28T16:00:00Z',
        gapEnd: '2025-08-28T16:10:00Z',
        detectedAt: '2025-08-28T16:15:00Z',
        tradesInResponse: 300,
      };
      // A cursor names a stored trade (the writer never moves one onto a trade it does not hold).
      const a = trade(10, { poolId, blockTimestamp: '2025-08-28T16:10:00Z' });
      const b = trade(11, { poolId, blockTimestamp: '2025-08-28T16:20:00Z' });
      const newer = {
        poolId,
        lastTradeId: b.id,
        lastTradeTimestamp: b.blockTimestamp,
        polledAt: '2025-08-28T16:20:01Z',
      };
      const older = {
        poolId,
        lastTradeId: a.id,
        lastTradeTimestamp: a.blockTimestamp,
        polledAt: '2025-08-28T16:10:01Z',
      };
      await m.write({ trades: [trade(1), a, b], cursors: [newer], gaps: [gap] });
      await m.write({ trades: [trade(1)], cursors: [older], gaps: [gap] });
      const state = await t.query<{ id: string; ts: string }>(
        `SELECT last_trade_id AS id, to_char(last_trade_timestamp AT TIME ZONE 'UTC', 'HH24:MI') AS ts FROM collection_state`,
      );
      expect(state).toEqual([{ id: b.id, ts: '16:20' }]);
      const gaps = await t.query('SELECT pool_id FROM collection_gaps');
      expect(gaps).toHaveLength(1);
      // A bad cursor is rejected alone; the batch's trade still commits.
      const ack = await m.write({ trades: [trade(9)], cursors: [{ ...newer, lastTradeTimestamp: 'yesterday' }] });
      expect(ack.inserted).toBe(1);
      expect(ack.rejected).toEqual([{ id: poolId, reason: expect.stringMatching(/lastTradeTimestamp/) }]);
    } finally {
      await m.close();
    }
  });

  it('COPY path: a group goes in by COPY, counted per batch; a refused row sends it back batch by batch', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    try {
      const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => trade(from + i));
      // Batches big enough for the COPY path alone; the second repeats two trades of the first.
      const clean = await Promise.all([
        m.write({ trades: batch(0, 1000) }),
        m.write({ trades: [...batch(1000, 998), trade(0), trade(1)] }),
      ]);
      expect(clean.map((a) => [a.inserted, a.duplicates])).toEqual([
        [1000, 0],
        [998, 2],
      ]);
      const bad = await Promise.all([
        m.write({ trades: batch(3000, 1000) }),
        m.write({ trades: [...batch(4000, 999), trade(5000, { txHash: 'nul\u0000' })] }),
      ]);
      expect(bad.map((a) => [a.inserted, a.duplicates, a.rejected.length])).toEqual([
        [1000, 0, 0],
        [999, 0, 1],
      ]);
      expect(bad[1]!.rejected[0]!.reason).toMatch(/22021/);
      expect(await t.count('SELECT count(*)::int AS n FROM trades')).toBe(1000 + 998 + 1000 + 999);
    } finally {
      await m.close();
    }
  });

  it('COPY path: a group with pools, gaps and cursors keeps their order and the cursor guard', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    try {
      const poolId = 'solana_copypool';
      const dex = { id: 'copydex', name: 'Copy Dex', network: 'solana' };
      const pool = {
        id: poolId,
        address: 'copypool',
        name: 'A / B',
        dexId: dex.id,
        baseTokenId: null,
        quoteTokenId: null,
        reserveUsd: null,
        createdAt: null,
        discoverySource: null,
        metadataJson: null,
      };
      const at = (i: number) =>
        `2025-08-28T16:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
      const trades = Array.from({ length: 1200 }, (_, i) => trade(20_000 + i, { poolId, blockTimestamp: at(i) }));
      const last = trades[trades.length - 1]!;
      // COPY's text format escapes these; stored as sent.
      const odd = 'a\tb\\c\nd\re';
      trades[5] = { ...trades[5]!, txFromAddress: odd };
      const gap = { poolId, gapStart: at(0), gapEnd: at(10), detectedAt: at(1199), tradesInResponse: 300 };
      // The cursor names a trade nobody stored: the guard moves it onto the newest stored one no later.
      const cursor = { poolId, lastTradeId: 'not-stored', lastTradeTimestamp: last.blockTimestamp, polledAt: at(1199) };
      const ack = await m.write({ dexes: [dex], pools: [pool], trades, gaps: [gap], cursors: [cursor] });
      expect(ack).toMatchObject({ inserted: 1200, duplicates: 0, rejected: [] });
      expect((await m.getWriterMetrics()).engine).toMatchObject({ copyGroups: 1 });
      const state = await t.query<{ id: string }>('SELECT last_trade_id AS id FROM collection_state');
      expect(state).toEqual([{ id: last.id }]);
      expect(await t.count('SELECT count(*)::int AS n FROM collection_gaps')).toBe(1);
      const [o] = await t.query<{ a: string }>('SELECT tx_from_address AS a FROM trades WHERE id = $1', [
        trades[5]!.id,
      ]);
      expect(o).toEqual({ a: odd });
      const [p] = await t.query<{ dex: string; name: string }>('SELECT dex_id AS dex, name FROM pools WHERE id = $1', [
        poolId,
      ]);
      expect(p).toEqual({ dex: dex.id, name: 'A / B' });
      // Sent again: every trade a duplicate (the straight COPY meets stored ids), the gap not repeated.
      const again = await m.write({ trades, gaps: [gap], cursors: [cursor] });
      expect(again).toMatchObject({ inserted: 0, duplicates: 1200, rejected: [] });
      expect(again.conflicts).toBeUndefined();
      expect(await t.count('SELECT count(*)::int AS n FROM collection_gaps')).toBe(1);
    } finally {
      await m.close();
    }
  });

  it('commits the batches of several sender threads in shared transactions, each trade once', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    try {
      const report = await runSenders(m, 4, 25, 40, 0);
      expect(report.failed).toEqual([]);
      expect(report.done).toBe(100);
      const metrics = await m.getWriterMetrics();
      expect(metrics.avgBatchesPerTransaction).toBeGreaterThan(1);
      expect(metrics.rowsInserted).toBe(4000);
      expect(await t.count('SELECT count(DISTINCT id)::int AS n FROM trades')).toBe(4000);
    } finally {
      await m.close();
    }
  });
});
