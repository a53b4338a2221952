// The overlap filter and cursor of one pool, without threads or HTTP: repeats dropped by id, the cursor at the
// newest new trade, gaps only when a full response does not reach back, restart seeding and rollback.
import { describe, expect, it } from 'vitest';
import { TradeWindow } from '../../../src/collector/trade-window.ts';
import { timestampMs } from '../../../src/common/stored-time.ts';
import { parsePoolsFile } from '../../../src/config/pool-addresses.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { distributePools } from '../../../src/run/pool-assignments.ts';
import { storedTimestamp } from '../../../src/storage/sqlite/trade-statements.ts';

const T0 = Date.parse('2025-09-01T12:00:00Z');

function trade(k: number, second: number): TradeRecord {
  return {
    id: `solana_${k}_tx${k}_0_${second}`,
    poolId: 'solana_P',
    blockNumber: k,
    txHash: `tx${k}`,
    txFromAddress: 'from',
    fromTokenAmount: '1',
    toTokenAmount: '2',
    priceUsd: '3',
    volumeUsd: '4',
    side: 'buy',
    blockTimestamp: new Date(T0 + second * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/** The API's view: trades 0..n-1 (trade k at second floor(k/2)), the last `limit` newest first. */
function response(upTo: number, limit = 300): TradeRecord[] {
  const out: TradeRecord[] = [];
  for (let k = upTo - 1; k >= 0 && out.length < limit; k--) out.push(trade(k, Math.floor(k / 2)));
  return out;
}

describe('TradeWindow', () => {
  it('timestamps: stored and ISO forms agree', () => {
    expect(timestampMs('2025-09-01 12:00:05.000000')).toBe(T0 + 5000);
    expect(timestampMs('2025-09-01T12:00:05Z')).toBe(T0 + 5000);
    expect(storedTimestamp(T0 + 5000)).toBe('2025-09-01 12:00:05.000000');
  });

  it('passes everything the first time, then only trades not seen before (same-second ties included)', () => {
    const w = new TradeWindow('solana_P');
    const first = w.accept(response(11), T0);
    expect(first.fresh).toHaveLength(11);
    expect(first.gap).toBeNull();
    expect(first.cursor?.lastTradeId).toBe(trade(10, 5).id);
    // Trade 11 shares second 5 with trade 10, the cursor.
    const second = w.accept(response(14), T0);
    expect(second.fresh.map((t) => t.blockNumber)).toEqual([13, 12, 11]);
    expect(second.repeats).toBe(11);
    expect(second.cursor?.lastTradeId).toBe(trade(13, 6).id);
    expect(w.accept(response(14), T0).fresh).toHaveLength(0);
  });

  it('records a gap when a full response does not reach back to the cursor, not when it does', () => {
    const w = new TradeWindow('solana_P');
    w.accept(response(300), T0);
    const reaching = w.accept(response(599), T0); // oldest = trade 299 = the cursor
    expect(reaching.gap).toBeNull();
    expect(reaching.fresh).toHaveLength(299);
    const missing = w.accept(response(1200), T0); // oldest = trade 900, cursor = trade 598
    expect(missing.gap).toEqual({
      poolId: 'solana_P',
      gapStart: trade(598, 299).blockTimestamp,
      gapEnd: trade(900, 450).blockTimestamp,
      detectedAt: new Date(T0).toISOString(),
      tradesInResponse: 300,
    });
    expect(missing.fresh).toHaveLength(300);
  });

  it("records a gap when a full response within the cursor's second holds no trade seen before", () => {
    // A busy pool: 1000 trades in one second. The cursor is trade 299; the next answer holds trades 400..699, all
    // stamped the cursor's second: trades 300..399 are missing though the stamps are equal.
    const busy = (from: number, to: number) => {
      const out: TradeRecord[] = [];
      for (let k = to - 1; k >= from; k--) out.push(trade(k, 7));
      return out;
    };
    const w = new TradeWindow('solana_P');
    w.accept(busy(0, 300), T0);
    const missing = w.accept(busy(400, 700), T0);
    expect(missing.gap).toMatchObject({ gapStart: trade(299, 7).blockTimestamp, gapEnd: trade(400, 7).blockTimestamp });
    // An answer that reaches back to a trade seen before (699) is no gap, whatever the stamps.
    expect(w.accept(busy(699, 999), T0).gap).toBeNull();
  });

  it('a partial response never makes a gap (it holds everything of the last 24 h)', () => {
    const w = new TradeWindow('solana_P', {
      cursor: { lastTradeId: trade(3, 1).id, lastTradeTimestamp: '2025-09-01 12:00:01.000000' },
    });
    expect(w.accept(response(50), T0 + 60_000).gap).toBeNull();
  });

  it('after a restart, drops what the database already holds at and before the cursor', () => {
    const stored = response(20); // trades 0..19 stored; cursor = trade 19 at second 9
    const w = new TradeWindow('solana_P', {
      cursor: { lastTradeId: trade(19, 9).id, lastTradeTimestamp: storedTimestamp(T0 + 9000) },
      recentIds: stored.map((t) => ({ id: t.id, timestamp: storedTimestamp(timestampMs(t.blockTimestamp)) })),
    });
    const r = w.accept(response(25), T0);
    expect(r.fresh.map((t) => t.blockNumber)).toEqual([24, 23, 22, 21, 20]);
    expect(r.repeats).toBe(20);
  });

  it('without recent ids, trades older than cursor - lateMargin are repeats by time', () => {
    const w = new TradeWindow('solana_P', {
      cursor: { lastTradeId: trade(199, 99).id, lastTradeTimestamp: storedTimestamp(T0 + 99_000) },
      lateMarginMs: 0,
    });
    const r = w.accept(response(210), T0);
    // Second 99 holds trades 198 and 199: 199 is the cursor, 198 is let through (the store drops it by id).
    expect(r.fresh.map((t) => t.blockNumber)).toEqual([209, 208, 207, 206, 205, 204, 203, 202, 201, 200, 198]);
  });

  it('keeps memory bounded', () => {
    const w = new TradeWindow('solana_P', { maxIds: 100, lateMarginMs: 3_600_000 });
    for (let n = 300; n <= 3000; n += 300) w.accept(response(n), T0);
    expect(w.rememberedIds).toBeLessThanOrEqual(100);
    // The floor rose to what was forgotten: only the two trades sharing the oldest remembered second come
    // through again (the store drops them by id); everything older is refused by time.
    expect(w.accept(response(3000), T0).fresh.map((t) => t.blockNumber)).toEqual([2899, 2898]);
  });

  it('rollback forgets failed trades and returns the cursor to the last committed one', () => {
    const w = new TradeWindow('solana_P');
    const a = w.accept(response(10), T0);
    w.markCommitted(a.cursor!);
    const b = w.accept(response(20), T0);
    expect(b.fresh).toHaveLength(10);
    w.rollback(b.fresh.map((t) => t.id));
    expect(w.currentCursor?.lastTradeId).toBe(a.cursor!.lastTradeId);
    expect(w.accept(response(20), T0).fresh).toHaveLength(10);
  });
});

describe('pool lists', () => {
  it('parses a pools file: one address a line, # comments, blanks and repeats ignored', () => {
    expect(parsePoolsFile('# top pools\nAbc123\n\n  Def456  # raydium\nAbc123\n')).toEqual(['Abc123', 'Def456']);
    expect(() => parsePoolsFile('a b\n')).toThrow(/pool address/);
  });

  it('deals pools round-robin into at most N non-empty groups', () => {
    expect(distributePools([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 3, 5],
      [2, 4],
    ]);
    expect(distributePools([1, 2], 4)).toEqual([[1], [2]]);
  });
});
