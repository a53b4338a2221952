// Packed batches (one string per batch) must validate exactly like the same trades sent as objects.
import { describe, expect, it } from 'vitest';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { PackedBatchError, packCreatedAt, packTrades, unpackTradeValues } from '../../../src/trades/trade-packing.ts';
import {
  checkTradeValuesAt,
  TRADE_FIELDS,
  type TradeRow,
  type ValidationResult,
  validateTrade,
} from '../../../src/trades/trade-validation.ts';

const good = (i: number): TradeRecord => syntheticTrade(i, { seed: 3 });
/** Row k of a flat unpacked batch, checked in place as the writer's row-by-row path checks it. */
function checkedRow(flat: unknown[], k: number): ValidationResult {
  const row = flat.slice(k * TRADE_FIELDS, (k + 1) * TRADE_FIELDS);
  const rejected = checkTradeValuesAt(row, 0, k);
  return rejected ? { ok: false, ...rejected } : { ok: true, row: row as TradeRow };
}

describe('trade packing', () => {
  it('round-trips trades to the same validated rows as the object path, nulls included', () => {
    const trades = [good(1), { ...good(2), blockNumber: null, txHash: null, txFromAddress: null }, good(3)];
    const packed = packTrades(trades)!;
    const flat = unpackTradeValues(packed, trades.length);
    expect(flat).toHaveLength(3 * TRADE_FIELDS);
    trades.forEach((t, i) => expect(checkedRow(flat, i)).toEqual(validateTrade(t, i)));
    const second = checkedRow(flat, 1);
    expect(second.ok && second.row.slice(0, 5)).toEqual([trades[1]!.id, trades[1]!.poolId, null, null, null]);
  });

  it('gives string-typed bad rows the same reasons as the object path', () => {
    const bad: TradeRecord[] = [
      { ...good(4), side: 'hold' as never },
      { ...good(5), fromTokenAmount: '-1' },
      { ...good(6), blockTimestamp: '2025-02-30T00:00:00Z' },
      { ...good(7), poolId: '' },
      { ...good(8), txHash: 'x'.repeat(101) },
    ];
    const flat = unpackTradeValues(packTrades(bad)!, bad.length);
    bad.forEach((t, i) => {
      const viaObject = validateTrade(t, i);
      expect(viaObject.ok).toBe(false);
      expect(checkedRow(flat, i)).toEqual(viaObject);
    });
  });

  it('refuses to pack what it cannot carry losslessly, so the batch goes as objects', () => {
    expect(packTrades([{ ...good(1), txHash: 'a\x1fb' }])).toBeNull();
    expect(packTrades([{ ...good(1), priceUsd: 1.5 as never }])).toBeNull();
    expect(packTrades([{ ...good(1), blockNumber: 1.5 }])).toBeNull();
    expect(unpackTradeValues('', 0)).toEqual([]);
  });

  it('packs created_at beside the rows: stored format, empty for none, absent when no row has one', () => {
    expect(packCreatedAt([good(1), good(2)])).toBeUndefined();
    expect(packCreatedAt([{ ...good(1), createdAt: '' }])).toBeUndefined();
    const two = packCreatedAt([{ ...good(1), createdAt: '2024-05-01T10:00:00Z' }, good(2)]);
    expect(two?.split('\x1f')).toEqual(['2024-05-01 10:00:00.000000', '']);
    // Not a time: the batch goes as objects, where the writer rejects that row with its reason.
    expect(packCreatedAt([good(1), { ...good(2), createdAt: 'yesterday' }])).toBeNull();
  });

  it('refuses a packed batch whose field count does not match its row count', () => {
    const packed = packTrades([good(1), good(2)])!;
    expect(() => unpackTradeValues(packed, 3)).toThrow(PackedBatchError);
    expect(() => unpackTradeValues(packed.slice(0, packed.lastIndexOf('\x1f')), 2)).toThrow(
      /21 fields, expected 2 rows × 11/,
    );
  });
});
