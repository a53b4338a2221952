// What a deferred batch keeps in the spool: its content, an import's own created_at included, and none of the
// sender's shortcuts (the amounts' numbers, the checked mark), so the writer checks a replayed batch whole.
import { describe, expect, it } from 'vitest';
import { packedForWriter } from '../../../src/sender/trades-payload.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { decodePayload, encodePayload } from '../../../src/spool/spool-payload.ts';

describe('spool payload', () => {
  it("keeps a packed batch's text and created_at, drops the sender's shortcuts", () => {
    const trades = [
      { ...syntheticTrade(1, { seed: 4 }), createdAt: '2024-05-01T10:00:00Z' },
      syntheticTrade(2, { seed: 4 }),
    ];
    const packed = packedForWriter(trades)!;
    expect(packed.checked).toBeDefined();
    expect(packed.amounts).toBeInstanceOf(Float64Array);
    const encoded = encodePayload({ packedTrades: packed, flushReason: 'size' });
    expect(encoded.rows).toBe(2);
    expect(decodePayload(encoded.json)).toEqual({
      packedTrades: { count: 2, data: packed.data, createdAt: '2024-05-01 10:00:00.000000\x1f' },
      flushReason: 'size',
    });
  });
});
