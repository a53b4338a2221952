// One bad row never sinks a batch: each kind of bad row comes back with its reason, the good rows commit.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { normalizeTimestamp, validateTrade } from '../../../src/trades/trade-validation.ts';
import { tempDir } from '../../support/temp-dir.ts';

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
  [
    'unparseable timestamp',
    { ...good(106), blockTimestamp: '2025-13-45T99:00:00Z' },
    /^blockTimestamp .* not a valid date-time/,
  ],
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

describe('packed batches in the writer (validated in place, one flat array per batch)', () => {
  // Every bad row here is packable (all strings), so the batch travels packed and the writer compacts the
  // good rows over the bad ones: the stored values must still be exactly the good rows' values.
  const badPackable = [
    { ...good(200), side: 'hold' as never },
    { ...good(201), fromTokenAmount: '-1' },
    { ...good(202), blockTimestamp: '2025-02-30T00:00:00Z' },
    { ...good(203), poolId: '' },
  ];
  const rowsOf = (p: string, ids: string[]) => {
    const db = new Database(p, { readonly: true });
    const rows = db
      .prepare(
        `SELECT id, pool_id, block_number, tx_hash, from_token_amount_exact AS from_token_amount, volume_usd_exact AS volume_usd, side, block_timestamp FROM trades WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY id`,
      )
      .all(...ids);
    db.close();
    return rows;
  };
  const expected = (ts: typeof goods) =>
    ts
      .map((t) => ({
        id: t.id,
        pool_id: t.poolId,
        block_number: t.blockNumber,
        tx_hash: t.txHash,
        from_token_amount: t.fromTokenAmount,
        volume_usd: t.volumeUsd,
        side: t.side,
        block_timestamp: normalizeTimestamp(t.blockTimestamp),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  const goods = [good(300), { ...good(301), txHash: null, blockNumber: null }, good(302)];

  it.each([false, true])(
    'stores the good rows exactly and rejects the bad ones with reasons (sortGroupById %s)',
    async (sortGroupById) => {
      const p = path.join(tempDir(), `packed-${sortGroupById}.db`);
      const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(p), sortGroupById });
      await m.initialize();
      try {
        const batch = [
          badPackable[0]!,
          goods[0]!,
          badPackable[1]!,
          badPackable[2]!,
          goods[1]!,
          badPackable[3]!,
          goods[2]!,
        ];
        // A second batch in flight at once, so the group commit holds two batches (ids interleave when sorted).
        const other = [good(400), good(401), good(402), good(403)];
        const [r, r2] = await Promise.all([m.storeTradeDataOptimized(batch), m.storeTradeDataOptimized(other)]);
        expect(r.inserted).toBe(3);
        expect(r2.inserted).toBe(4);
        expect(r.rejected.map((x) => x.id)).toEqual(badPackable.map((b) => b.id));
        expect(r.rejected.map((x) => x.reason.split(' ')[0])).toEqual([
          'side',
          'fromTokenAmount',
          'blockTimestamp',
          'poolId',
        ]);
        expect(
          rowsOf(
            p,
            goods.map((g) => g.id),
          ),
        ).toEqual(expected(goods));
        expect(
          rowsOf(
            p,
            other.map((g) => g.id),
          ),
        ).toEqual(expected(other));
      } finally {
        await m.close();
      }
    },
  );
});

describe('timestamps', () => {
  it.each([
    ['2025-08-28T16:15:08Z', '2025-08-28 16:15:08.000000'],
    ['2025-09-04 23:31:26.000000', '2025-09-04 23:31:26.000000'],
    ['2024-02-29 00:00:00.000000', '2024-02-29 00:00:00.000000'],
    ['2025-10-03 10:22:16-06', '2025-10-03 16:22:16.000000'],
    ['2025-10-03T10:22:16.5+02:00', '2025-10-03 08:22:16.500000'],
    ['2025-10-03 10:22', '2025-10-03 10:22:00.000000'],
  ])('normalizes %s to UTC %s', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    '2025-02-30T00:00:00Z',
    'yesterday',
    '2025-08-28T25:00:00Z',
    '',
    // The stored format too: Date.parse alone would roll Feb 30 over to Mar 2.
    '2025-02-30 00:00:00.000000',
    '2023-02-29 12:00:00.000000',
    '2025-04-31 00:00:00.000000',
    '2025-01-01 24:00:00.000000',
  ])('rejects %j', (input) => {
    expect(normalizeTimestamp(input)).toBeNull();
  });

  it('keeps decimals exactly, including ~70 digits', () => {
    const long = '0.0000493804611736865774611869570754394294604142126779721093309794408';
    const v = validateTrade({ ...good(1), priceUsd: long }, 0);
    expect(v.ok && v.row[7]).toBe(long);
  });
});
