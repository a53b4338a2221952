// Packs a batch of trades into one string for the trip to the writer thread. Structured clone copies a flat
// string at memcpy speed but walks every property of every object, and that walk runs on the writer's
// critical path (deserialization) — with 200-trade batches it cost more than the INSERTs themselves.

import type { TradeRecord } from '../trade-record.ts';

const FIELD = '\x1f';
const ROW = '\x1e';
const FIELDS_PER_ROW = 11;

/** null when a value cannot be packed losslessly (a separator inside a string, a non-string amount...): send objects then. */
export function packTrades(trades: readonly TradeRecord[]): string | null {
  const parts: string[] = new Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const fields = [
      t.id, t.poolId, t.blockNumber === null || t.blockNumber === undefined ? '' : t.blockNumber,
      t.txHash ?? '', t.txFromAddress ?? '', t.fromTokenAmount, t.toTokenAmount, t.priceUsd, t.volumeUsd, t.side, t.blockTimestamp,
    ];
    for (let f = 0; f < FIELDS_PER_ROW; f++) {
      const v = fields[f];
      if (f === 2) {
        if (v !== '' && !(typeof v === 'number' && Number.isSafeInteger(v))) return null;
      } else if (typeof v !== 'string' || v.includes(FIELD) || v.includes(ROW)) {
        return null;
      }
    }
    parts[i] = fields.join(FIELD);
  }
  return parts.join(ROW);
}

/**
 * Inverse of packTrades, as raw values in TradeRow order (see validateTradeValues): no TradeRecord objects,
 * since the writer only needs the values. Empty optional fields come back as null.
 */
export function unpackTradeValues(packed: string): unknown[][] {
  if (packed === '') return [];
  const rows = packed.split(ROW);
  const out: unknown[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const f: unknown[] = rows[i]!.split(FIELD);
    f[2] = f[2] === '' || f[2] === undefined ? null : Number(f[2]);
    if (f[3] === '') f[3] = null;
    if (f[4] === '') f[4] = null;
    out[i] = f;
  }
  return out;
}
