// PostgreSQL: the writer rejects a trade beyond the clock-skew allowance, moves a cursor only onto a stored trade
// no later than the allowance, and at open puts back cursors left in the future or on a trade not stored.
import { describe, expect, it } from 'vitest';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { cli } from '../../support/collect-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-pg-cursors-');
const pool = 'solana_pgpool';
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const now = Math.floor(Date.now() / 1000) * 1000;
const trade = (n: number, ms: number): TradeRecord => ({
  id: `solana_${n}_tx${n}_0_${Math.floor(ms / 1000)}`,
  poolId: pool,
  blockNumber: 100 + n,
  txHash: `tx${n}`,
  txFromAddress: null,
  fromTokenAmount: '1',
  toTokenAmount: '2',
  priceUsd: '3',
  volumeUsd: '4',
  side: 'buy',
  blockTimestamp: iso(ms),
});

describe('PostgreSQL cursors cannot be poisoned', () => {
  it('rejects the future trade, keeps the cursor on the newest stored one, repairs a poisoned cursor at open', async () => {
    const t = await testSchema('edges_storage');
    const open = async () => {
      const m = new LockOptimizedDatabaseManager({ url: t.url }, { deferred: { path: `${dir}/${t.schema}.spool` } });
      return { m, info: await m.initialize() };
    };
    const good = [trade(1, now - 120_000), trade(2, now - 60_000)];
    const future = trade(3, Date.parse('2099-01-01T00:00:00Z'));
    const first = await open();
    expect(first.info.cursorsRepaired).toBe(0);
    const ack = await first.m.write({
      trades: [...good, future],
      cursors: [
        { poolId: pool, lastTradeId: future.id, lastTradeTimestamp: future.blockTimestamp, polledAt: iso(now) },
      ],
    });
    expect(ack.rejected).toEqual([
      {
        id: future.id,
        reason: expect.stringMatching(/^blockTimestamp "2099-01-01T00:00:00Z" \(string\) is in the future/),
      },
    ]);
    await first.m.close();
    const cursor = () =>
      t.query<{ id: string; ts: string }>(
        `SELECT last_trade_id AS id, to_char(last_trade_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS ts FROM collection_state WHERE pool_id = $1`,
        [pool],
      );
    const newest = { id: good[1]!.id, ts: good[1]!.blockTimestamp.replace('T', ' ').replace('Z', '') };
    expect(await cursor()).toEqual([newest]);
    expect(await t.count('SELECT count(*)::int AS n FROM trades WHERE id = $1', [future.id])).toBe(0);

    // An earlier version left the cursor in 2099 on a trade that was never stored.
    await t.query(
      "UPDATE collection_state SET last_trade_id = 'solana_ghost', last_trade_timestamp = '2099-01-01T00:00:00Z' WHERE pool_id = $1",
      [pool],
    );
    const doctor = await cli(['doctor', '--wide', '--db', t.url]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(
      "cursors to repair: 1 (1 in the future, 0 on a trade that is not stored): their pools' newer trades are taken for repeats",
    );
    expect(doctor.stdout).toContain(`  ${pool}: in the future (cursor 2099-01-01 00:00:00.000000, trade solana_ghost)`);
    expect(doctor.stdout).toContain(
      '  repair: the next collect or import on this database repairs them when it starts',
    );
    const second = await open();
    await second.m.close();
    expect(second.info.cursorsRepaired).toBe(1);
    expect(await cursor()).toEqual([newest]);
    const clean = await cli(['doctor', '--db', t.url]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).not.toContain('cursors to repair');
  });
});
