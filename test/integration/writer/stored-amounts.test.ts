// The NUMERIC amounts the writer stores are Number() of the exact text, the text itself beside them; each
// row meets the writer's clock.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { openTestEngine } from '../../support/writer-engine.ts';

const { db, write: writeBatch, close } = openTestEngine('amounts.db');
afterAll(close);
const write = (trades: TradeRecord[]) => writeBatch({ trades });

describe('stored amounts', () => {
  it('stores Number() of the text in the NUMERIC columns and the text in *_exact', async () => {
    const batches = [0, 1, 2].map((b) => Array.from({ length: 20 }, (_, i) => syntheticTrade(b * 20 + i, { seed: 9 })));
    const acks = await Promise.all(batches.map((b) => write(b)));
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

  it("refuses a batch's future row by the writer's clock and stores the rest", async () => {
    const trades = Array.from({ length: 10 }, (_, i) => syntheticTrade(100 + i, { seed: 9 }));
    trades[6] = { ...trades[6]!, blockTimestamp: new Date(Date.now() + 3_600_000).toISOString() };
    const ack = await write(trades);
    expect(ack.inserted).toBe(9);
    expect(ack.rejected).toHaveLength(1);
    expect(ack.rejected[0]).toMatchObject({ id: trades[6]!.id, reason: expect.stringMatching(/is in the future/) });
  });
});
