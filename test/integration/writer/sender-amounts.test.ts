// The NUMERIC amounts the writer stores are Number() of the exact text whether the sender's numbers came along
// (checked, then bound), came wrong (refused: the writer parses) or did not come at all (a replayed batch). A
// batch the sender checked still meets the writer's clock: its block time range is checked there.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { PackedTrades } from '../../../src/protocol/messages.ts';
import { packedForWriter } from '../../../src/sender/trades-payload.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { amountNumbers } from '../../../src/trades/trade-amounts.ts';
import { packTrades } from '../../../src/trades/trade-packing.ts';
import { openTestEngine } from '../../support/writer-engine.ts';

const { db, write: writeBatch, close } = openTestEngine('amounts.db');
afterAll(close);
const write = (packedTrades: PackedTrades) => writeBatch({ packedTrades });

describe("the sender's amount numbers", () => {
  it('stores Number() of the text in the NUMERIC columns, with right, wrong or no sender numbers', async () => {
    const batches = [0, 1, 2].map((b) => Array.from({ length: 20 }, (_, i) => syntheticTrade(b * 20 + i, { seed: 9 })));
    const right = amountNumbers(batches[0]!);
    const wrong = amountNumbers(batches[1]!);
    wrong[4 * 3 + 1] = wrong[4 * 3 + 1]! * 1000;
    const acks = await Promise.all([
      write({ count: 20, data: packTrades(batches[0]!)!, amounts: right }),
      write({ count: 20, data: packTrades(batches[1]!)!, amounts: wrong }),
      write({ count: 20, data: packTrades(batches[2]!)! }),
    ]);
    expect(acks.map((a) => a.inserted)).toEqual([20, 20, 20]);
    const read = new Database(db.name, { readonly: true });
    try {
      const stmt = read.prepare(
        'SELECT from_token_amount AS f, to_token_amount AS t, price_usd AS p, volume_usd AS v, to_token_amount_exact AS te FROM trades WHERE id = ?',
      );
      for (const t of batches.flat()) {
        const row = stmt.get(t.id) as { f: number; t: number; p: number; v: number; te: string };
        expect([row.f, row.t, row.p, row.v], t.id).toEqual([
          Number(t.fromTokenAmount),
          Number(t.toTokenAmount),
          Number(t.priceUsd),
          Number(t.volumeUsd),
        ]);
        expect(row.te).toBe(t.toTokenAmount);
      }
    } finally {
      read.close();
    }
  });

  it("refuses a checked batch's future row by the writer's clock and stores the rest", async () => {
    const trades = Array.from({ length: 10 }, (_, i) => syntheticTrade(100 + i, { seed: 9 }));
    trades[6] = { ...trades[6]!, blockTimestamp: new Date(Date.now() + 3_600_000).toISOString() };
    const packed = packedForWriter(trades)!;
    expect(packed.checked?.latest.slice(0, 13)).toBe(trades[6]!.blockTimestamp.replace('T', ' ').slice(0, 13));
    const ack = await write(packed);
    expect(ack.inserted).toBe(9);
    expect(ack.rejected).toHaveLength(1);
    expect(ack.rejected[0]).toMatchObject({ id: trades[6]!.id, reason: expect.stringMatching(/is in the future/) });
  });
});
