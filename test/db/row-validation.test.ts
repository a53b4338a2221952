// One bad row never sinks a batch: each kind of bad row comes back with its reason, the good rows commit.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockOptimizedDatabaseManager } from '../../src/db/lock-optimized-manager.ts';
import { normalizeTimestamp, validateTrade } from '../../src/db/trade-validation.ts';
import { syntheticTrade } from '../../src/sim/synthetic-trades.ts';
import { urlFromDatabasePath } from '../../src/config/database-url.ts';
import { tempDir } from '../support/temp-dir.ts';

const dbPath = path.join(tempDir(), 'rows.db');
let manager: LockOptimizedDatabaseManager;

beforeAll(async () => {
  manager = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
  await manager.initialize();
});
afterAll(() => manager.close());

const good = (i: number) => syntheticTrade(i, { seed: 42 });

const BAD: [string, unknown, RegExp][] = [
  ['missing id', { ...good(100), id: undefined }, /^id is missing/],
  ['empty pool id', { ...good(101), poolId: '' }, /^poolId is empty/],
  ['negative amount', { ...good(102), fromTokenAmount: '-1.5' }, /^fromTokenAmount is "-1.5".*non-negative decimal/],
  ['amount not a decimal', { ...good(103), volumeUsd: '12abc' }, /^volumeUsd is "12abc"/],
  ['amount as a number', { ...good(104), priceUsd: 1.25 }, /^priceUsd is 1.25 \(number\)/],
  ['bad side', { ...good(105), side: 'hold' }, /^side is "hold".*"buy" or "sell"/],
  ['unparseable timestamp', { ...good(106), blockTimestamp: '2025-13-45T99:00:00Z' }, /^blockTimestamp .* not a valid date-time/],
  ['over-long tx hash', { ...good(107), txHash: 'x'.repeat(500) }, /^txHash is 500 characters, longer than 100/],
  ['over-long id', { ...good(108), id: 'y'.repeat(300) }, /^id is 300 characters, longer than 200/],
  ['not an object', 'just a string', /^row is "just a string".*expected a trade object/],
  ['negative block number', { ...good(109), blockNumber: -3 }, /^blockNumber is -3/],
];

describe('row validation in the writer', () => {
  it('commits the good rows and returns each bad row with its reason', async () => {
    const goods = [good(1), good(2), good(3)];
    const batch = [goods[0], ...BAD.map(([, row]) => row), goods[1], goods[2]];
    const result = await manager.storeTradeDataOptimized(batch as never);
    expect(result.inserted).toBe(3);
    expect(result.rejected).toHaveLength(BAD.length);
    BAD.forEach(([what, , reason], k) => {
      expect(result.rejected[k]!.reason, what).toMatch(reason);
    });
    // Rows without a usable id are named by their position in the batch.
    expect(result.rejected[0]!.id).toBe('#1');
    expect(result.rejected[1]!.id).toBe(good(101).id);

    const db = new Database(dbPath, { readonly: true });
    const ids = (db.prepare('SELECT id FROM trades ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    db.close();
    expect(ids).toEqual(goods.map((g) => g.id).sort());
  });

  it('counts repeats of stored ids as duplicates, not inserts', async () => {
    const r = await manager.storeTradeDataOptimized([good(1), good(2), good(4)]);
    expect(r).toEqual({ inserted: 1, duplicates: 2, rejected: [], deferred: false });
    const m = await manager.getLockContentionMetrics();
    expect(m.rejected).toBe(BAD.length);
    expect(m.rowsInserted).toBe(4);
  });
});

describe('timestamps', () => {
  it.each([
    ['2025-08-28T16:15:08Z', '2025-08-28 16:15:08.000000'],
    ['2025-09-04 23:31:26.000000', '2025-09-04 23:31:26.000000'],
    ['2025-10-03 10:22:16-06', '2025-10-03 16:22:16.000000'],
    ['2025-10-03T10:22:16.5+02:00', '2025-10-03 08:22:16.500000'],
    ['2025-10-03 10:22', '2025-10-03 10:22:00.000000'],
  ])('normalizes %s to UTC %s', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each(['2025-02-30T00:00:00Z', 'yesterday', '2025-08-28T25:00:00Z', ''])('rejects %j', (input) => {
    expect(normalizeTimestamp(input)).toBeNull();
  });

  it('keeps decimals exactly, including ~70 digits', () => {
    const long = '0.0000493804611736865774611869570754394294604142126779721093309794408';
    const v = validateTrade({ ...good(1), priceUsd: long }, 0);
    expect(v.ok && v.row[7]).toBe(long);
  });
});
