// Drives the pool poller directly against the simulator (on a fake clock) and the real write funnel: more than
// 300 trades between two polls leaves a gap row; the cursor row follows the stored trades.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TradeDataBatchProcessor } from '../../../src/batch/trade-data-batch-processor.ts';
import { PoolPoller } from '../../../src/collector/pool-poller.ts';
import { poolIdOf } from '../../../src/config/pool-addresses.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { readDatabase } from '../../../src/testing/index.ts';
import { tempDir } from '../../support/temp-dir.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
let now = START;
let sim: GeckoSimulator;
let manager: LockOptimizedDatabaseManager;

beforeAll(async () => {
  // 50 trades/s: 10 s between polls = ~500 new trades, more than one response holds.
  sim = await startGeckoSimulator({ seed: 7, pools: 1, tradesPerSecond: 50, historySeconds: 60, clock: () => now });
  manager = new LockOptimizedDatabaseManager({ url: `sqlite:///${path.join(tempDir(), 'gaps.db')}` });
  await manager.initialize();
});

afterAll(async () => {
  await manager?.close();
  await sim?.close();
});

describe('gap detection', () => {
  it('records a gap (cursor .. oldest trade of the response) when a full response does not reach back', async () => {
    const address = sim.pools[0]!.address;
    const poolId = poolIdOf('solana', address);
    const client = new GeckoTerminalClient({ rateLimiter: { acquire: async () => 0 }, baseUrl: sim.baseUrl });
    const processor = new TradeDataBatchProcessor(manager, 'development');
    const poller = new PoolPoller({
      client,
      network: 'solana',
      pools: [{ address, poolId, cursor: null, recentIds: [] }],
      pollIntervalMs: 0,
      trades: processor,
      state: { writeState: async (u) => void (await manager.write(u)) },
      now: () => now,
    });

    const first = await poller.pollOnce(address);
    expect(first).toMatchObject({ fetched: 300, fresh: 300, gap: null });
    await processor.flushTrades();
    await first.committed;
    const cursor1 = poller.windowOf(address)!.currentCursor!;

    now += 2_000; // ~100 new trades: the response still reaches back to the cursor
    const second = await poller.pollOnce(address);
    expect(second.gap).toBeNull();
    expect(second.fresh).toBeGreaterThan(50);
    expect(second.fresh).toBeLessThan(300);

    now += 10_000; // ~500 new trades
    const cursor2 = poller.windowOf(address)!.currentCursor!;
    const third = await poller.pollOnce(address);
    expect(third.fetched).toBe(300);
    expect(third.fresh).toBe(300);
    expect(third.gap).not.toBeNull();
    expect(third.gap!.gapStart).toBe(cursor2.lastTradeTimestamp);
    await processor.flushTrades();
    await poller.drain();

    const rows = await readDatabase(manager, (db) => ({
      gaps: db.prepare('SELECT pool_id, gap_start, gap_end, trades_in_response FROM collection_gaps').all() as {
        pool_id: string;
        gap_start: string;
        gap_end: string;
        trades_in_response: number;
      }[],
      state: db
        .prepare('SELECT last_trade_id, last_trade_timestamp FROM collection_state WHERE pool_id = ?')
        .get(poolId) as {
        last_trade_id: string;
        last_trade_timestamp: string;
      },
      trades: (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n,
    }));
    expect(rows.gaps).toHaveLength(1);
    const gap = rows.gaps[0]!;
    expect(gap.pool_id).toBe(poolId);
    expect(gap.trades_in_response).toBe(300);
    expect(Date.parse(`${gap.gap_start.replace(' ', 'T')}Z`)).toBe(Date.parse(cursor2.lastTradeTimestamp));
    expect(Date.parse(`${gap.gap_end.replace(' ', 'T')}Z`)).toBe(Date.parse(third.gap!.gapEnd));
    expect(gap.gap_end > gap.gap_start).toBe(true);
    expect(rows.trades).toBe(300 + second.fresh + 300);
    expect(rows.state.last_trade_id).toBe(poller.windowOf(address)!.currentCursor!.lastTradeId);
    expect(cursor1.lastTradeTimestamp < cursor2.lastTradeTimestamp).toBe(true);
    await processor.close();
  });

  it('counts a malformed body, logs it and carries on with the next poll', async () => {
    const address = sim.pools[0]!.address;
    const poolId = poolIdOf('solana', address);
    const counts = new Map<string, number>();
    const client = new GeckoTerminalClient({ rateLimiter: { acquire: async () => 0 }, baseUrl: sim.baseUrl });
    const stored: number[] = [];
    const poller = new PoolPoller({
      client,
      network: 'solana',
      pools: [{ address, poolId, cursor: null, recentIds: [] }],
      pollIntervalMs: 0,
      trades: {
        submitTrades: (t) => {
          stored.push(t.length);
          return { accepted: Promise.resolve(), done: Promise.resolve() };
        },
      },
      state: { writeState: async () => undefined },
      counters: { add: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
      now: () => now,
    });
    sim.setFaults({ malformedRate: 1 });
    for (let i = 0; i < 3; i++) {
      const bad = await poller.pollOnce(address);
      expect(bad.error).toMatchObject({ code: 'GECKO_BAD_RESPONSE' });
    }
    sim.setFaults({ malformedRate: 0 });
    const good = await poller.pollOnce(address);
    expect(good.error).toBeUndefined();
    expect(good.fresh).toBe(300);
    expect(stored).toEqual([300]);
    expect(counts.get('badResponses')).toBe(3);
    expect(counts.get('errors')).toBe(3);
    expect(counts.get('polls')).toBe(4);
  });
});
