// What a deferred batch keeps in the spool: its content, an import's own created_at included; and a batch an
// earlier version spooled packed into one string replays as the same trades.
import { describe, expect, it } from 'vitest';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { decodePayload, encodePayload } from '../../../src/spool/spool-payload.ts';

/** A batch as earlier versions packed it: every row's 11 fields joined by \x1f, an empty optional field for null. */
function packedJson(trades: TradeRecord[], createdAt?: string): string {
  const data = trades
    .map((t) =>
      [
        t.id,
        t.poolId,
        t.blockNumber ?? '',
        t.txHash ?? '',
        t.txFromAddress ?? '',
        t.fromTokenAmount,
        t.toTokenAmount,
        t.priceUsd,
        t.volumeUsd,
        t.side,
        t.blockTimestamp,
      ].join('\x1f'),
    )
    .join('\x1f');
  return JSON.stringify({
    packedTrades: { count: trades.length, data, ...(createdAt === undefined ? {} : { createdAt }) },
    flushReason: 'size',
  });
}

describe('spool payload', () => {
  it("keeps a batch's trades, created_at and flush reason", () => {
    const trades = [
      { ...syntheticTrade(1, { seed: 4 }), createdAt: '2024-05-01T10:00:00Z' },
      syntheticTrade(2, { seed: 4 }),
    ];
    const encoded = encodePayload({ trades, flushReason: 'size' });
    expect(encoded.rows).toBe(2);
    expect(decodePayload(encoded.json)).toEqual({ trades, flushReason: 'size' });
  });

  it('reads a packed batch an earlier version spooled back as the same trades', () => {
    const trades = [
      syntheticTrade(3, { seed: 4 }),
      { ...syntheticTrade(4, { seed: 4 }), txHash: null, blockNumber: null },
    ];
    const decoded = decodePayload(packedJson(trades, '2024-05-01 10:00:00.000000\x1f'));
    expect(decoded).toEqual({
      trades: [{ ...trades[0]!, createdAt: '2024-05-01 10:00:00.000000' }, trades[1]],
      flushReason: 'size',
    });
  });

  it('keeps a packed row that does not come out whole, for the writer to reject with its reason', () => {
    const json = packedJson([syntheticTrade(5, { seed: 4 })]).replace(/\\u001f(buy|sell)\\u001f[^"]*"/, '"');
    const decoded = decodePayload(json);
    expect(decoded.trades).toHaveLength(1);
    expect(decoded.trades![0]!.blockTimestamp).toBeUndefined();
  });
});
