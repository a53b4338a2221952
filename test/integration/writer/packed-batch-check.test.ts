// The writer's one-regex fast path must never accept a batch the row-by-row checks would refuse or store
// differently, and what it stores must be what the row-by-row path stores.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { fastPathValues } from '../../../src/trades/packed-batch-check.ts';
import { packTrades, unpackTradeValues } from '../../../src/trades/trade-packing.ts';
import { checkTradeValuesAt, TRADE_FIELDS } from '../../../src/trades/trade-validation.ts';
import { fixtureTrades } from '../../support/fixtures.ts';
import { tempDir } from '../../support/temp-dir.ts';

const good = (i: number): TradeRecord => syntheticTrade(i, { seed: 11 });

/** What the row-by-row path makes of a packed batch: per row null (valid, values rewritten in place) or a reason. */
function slowPath(packed: string, count: number): { values: unknown[]; verdicts: (string | null)[] } {
  const values = unpackTradeValues(packed, count);
  const verdicts: (string | null)[] = [];
  for (let at = 0, i = 0; at < values.length; at += TRADE_FIELDS, i++)
    verdicts.push(checkTradeValuesAt(values, at, i)?.reason ?? null);
  return { values, verdicts };
}

/** One field of a good trade replaced by an edge value (valid or not). */
const MUTATIONS: ((t: TradeRecord) => TradeRecord)[] = [
  (t) => ({ ...t, id: 'i'.repeat(200) }),
  (t) => ({ ...t, id: 'i'.repeat(201) }),
  (t) => ({ ...t, poolId: 'p'.repeat(101) }),
  (t) => ({ ...t, blockNumber: null, txHash: null, txFromAddress: null }),
  (t) => ({ ...t, blockNumber: 123456789012345 }),
  (t) => ({ ...t, blockNumber: 1234567890123456 }),
  (t) => ({ ...t, txHash: 'h'.repeat(100) }),
  (t) => ({ ...t, txHash: 'h'.repeat(101) }),
  (t) => ({ ...t, fromTokenAmount: '1.5e-7' }),
  (t) => ({ ...t, fromTokenAmount: '1e1234' }),
  (t) => ({ ...t, volumeUsd: '1e400' }),
  (t) => ({ ...t, toTokenAmount: '1e-999' }),
  (t) => ({ ...t, toTokenAmount: '1'.repeat(100) }),
  (t) => ({ ...t, toTokenAmount: '1'.repeat(101) }),
  (t) => ({ ...t, priceUsd: '-2' }),
  (t) => ({ ...t, volumeUsd: '.5' }),
  (t) => ({ ...t, side: 'hold' as never }),
  (t) => ({ ...t, blockTimestamp: '2024-02-29T10:00:00Z' }),
  (t) => ({ ...t, blockTimestamp: '2025-02-29T10:00:00Z' }),
  (t) => ({ ...t, blockTimestamp: '2025-04-31T10:00:00Z' }),
  (t) => ({ ...t, blockTimestamp: '2025-12-31T23:59:59Z' }),
  (t) => ({ ...t, blockTimestamp: '2025-10-03T10:22:16.5+02:00' }),
  (t) => ({ ...t, blockTimestamp: 'yesterday' }),
];

describe('packed batch fast path', () => {
  it('takes a batch of good API trades whole, with the values the row-by-row path binds', () => {
    const trades = [...fixtureTrades(), { ...good(1), blockNumber: null, txHash: null, txFromAddress: null }];
    const packed = packTrades(trades)!;
    const fast = fastPathValues(packed, trades.length);
    expect(fast).not.toBeNull();
    const slow = slowPath(packed, trades.length);
    expect(slow.verdicts.every((v) => v === null)).toBe(true);
    // The same values (missing ones as null), except that the fast path leaves block-number text to the column's affinity.
    expect(fast!.slice(-TRADE_FIELDS + 2, -TRADE_FIELDS + 5)).toEqual([null, null, null]);
    expect(fast!.map((v, k) => (k % TRADE_FIELDS === 2 && v !== null ? Number(v) : v))).toEqual(slow.values);
  });

  it('accepts a batch only when the row-by-row checks accept every row unchanged (2,000 mutated batches)', () => {
    let state = 99;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    let fastTaken = 0;
    let fastRefused = 0;
    for (let n = 0; n < 2000; n++) {
      const batch = Array.from({ length: 5 }, (_, k) => {
        const t = good(n * 5 + k);
        return next() < 0.3 ? MUTATIONS[Math.floor(next() * MUTATIONS.length)]!(t) : t;
      });
      const packed = packTrades(batch);
      if (packed === null) continue;
      const fast = fastPathValues(packed, batch.length);
      const slow = slowPath(packed, batch.length);
      if (fast === null) {
        fastRefused++;
        continue;
      }
      fastTaken++;
      if (slow.verdicts.some((v) => v !== null))
        expect.fail(`fast path took a batch the checks refuse: ${slow.verdicts.filter(Boolean).join('; ')}`);
      expect(fast[TRADE_FIELDS - 1]).toBe(slow.values[TRADE_FIELDS - 1]);
    }
    // Both branches were exercised.
    expect(fastTaken).toBeGreaterThan(100);
    expect(fastRefused).toBeGreaterThan(100);
  });

  it('refuses a miscounted batch and an empty one', () => {
    const packed = packTrades([good(1), good(2)])!;
    expect(fastPathValues(packed, 3)).toBeNull();
    expect(fastPathValues('', 0)).toBeNull();
  });

  it('stores through the fast path exactly what the row-by-row path stores (NULLs and integer block numbers included)', async () => {
    const trades = [good(1), { ...good(2), blockNumber: null, txHash: null, txFromAddress: null }, good(3)];
    const dir = tempDir();
    const read = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db
          .prepare(
            'SELECT id, pool_id, block_number, typeof(block_number) AS bt, tx_hash, tx_from_address, from_token_amount, to_token_amount, price_usd, volume_usd, side, block_timestamp FROM trades ORDER BY id',
          )
          .all();
      } finally {
        db.close();
      }
    };
    const store = async (file: string, batch: TradeRecord[]) => {
      const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(file) });
      await m.initialize();
      try {
        return await m.storeTradeDataOptimized(batch);
      } finally {
        await m.close();
      }
    };
    // The same trades, once whole (fast path) and once beside a bad row (row-by-row path).
    const fastFile = path.join(dir, 'fast.db');
    const slowFile = path.join(dir, 'slow.db');
    expect(await store(fastFile, trades)).toMatchObject({ inserted: 3, rejected: [] });
    const mixed = await store(slowFile, [...trades, { ...good(4), side: 'hold' as never }]);
    expect(mixed).toMatchObject({ inserted: 3 });
    expect(mixed.rejected).toHaveLength(1);
    const fastRows = read(fastFile);
    expect(fastRows).toEqual(read(slowFile));
    expect(fastRows.map((r) => (r as { bt: string }).bt).sort()).toEqual(['integer', 'integer', 'null']);
  });
});
