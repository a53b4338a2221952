// Packs a batch of trades into one string for the trip to the writer thread. Structured clone copies a flat
// string at memcpy speed but walks every property of every object, and that walk runs on the writer's
// critical path (deserialization) — with 200-trade batches it cost more than the INSERTs themselves.

import { GeckoCollectorError } from '../errors.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { checkCreatedAt, normalizeTimestamp, TRADE_FIELDS } from './trade-validation.ts';

// One separator for fields and rows alike: every row has exactly TRADE_FIELDS fields, so one split gives
// the flat value array the writer validates and binds in place.
export const FIELD = '\x1f';

/**
 * The trades' row fields (not their createdAt: see packCreatedAt), or null when a value cannot be packed
 * losslessly (a separator inside a string, a non-string amount...): send objects then.
 */
export function packTrades(trades: readonly TradeRecord[]): string | null {
  const parts: string[] = new Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const fields = [
      t.id,
      t.poolId,
      t.blockNumber === null || t.blockNumber === undefined ? '' : t.blockNumber,
      t.txHash ?? '',
      t.txFromAddress ?? '',
      t.fromTokenAmount,
      t.toTokenAmount,
      t.priceUsd,
      t.volumeUsd,
      t.side,
      // In the stored format already, so the writer only checks it (its fast path); one it cannot read goes
      // as it came, for the writer to reject with the reason.
      typeof t.blockTimestamp === 'string'
        ? (normalizeTimestamp(t.blockTimestamp) ?? t.blockTimestamp)
        : t.blockTimestamp,
    ];
    for (let f = 0; f < TRADE_FIELDS; f++) {
      const v = fields[f];
      if (f === 2) {
        if (v !== '' && !(typeof v === 'number' && Number.isSafeInteger(v))) return null;
      } else if (typeof v !== 'string' || v.includes(FIELD)) {
        return null;
      }
    }
    parts[i] = fields.join(FIELD);
  }
  return parts.join(FIELD);
}

/**
 * The trades' own createdAt (imports keep the first sighting), one field per row in the stored format, '' for a
 * row without one: undefined when no trade has one (the write time is stored), null when one cannot be read
 * (send objects then: the writer rejects that row with its reason).
 */
export function packCreatedAt(trades: readonly TradeRecord[]): string | null | undefined {
  if (!trades.some((t) => t.createdAt !== undefined && t.createdAt !== null && t.createdAt !== '')) return undefined;
  const parts: string[] = new Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const c = checkCreatedAt(trades[i]!.createdAt);
    if (!c.ok) return null;
    parts[i] = c.value ?? '';
  }
  return parts.join(FIELD);
}

/** A packed batch whose field count does not match its row count: the whole batch is unusable. */
export class PackedBatchError extends GeckoCollectorError {
  readonly code = 'PACKED_BATCH_MALFORMED';
}

/**
 * Inverse of packTrades, as ONE flat array of raw values, TRADE_FIELDS per row in TradeRow order (see
 * checkTradeValuesAt): no per-row arrays, no TradeRecord objects. Empty optional fields come back as null.
 */
export function unpackTradeValues(packed: string, count: number): unknown[] {
  if (count === 0 && packed === '') return [];
  const values: unknown[] = packed.split(FIELD);
  if (values.length !== count * TRADE_FIELDS) {
    throw new PackedBatchError(`packed batch has ${values.length} fields, expected ${count} rows × ${TRADE_FIELDS}`);
  }
  for (let at = 0; at < values.length; at += TRADE_FIELDS) {
    const bn = values[at + 2];
    values[at + 2] = bn === '' ? null : Number(bn);
    if (values[at + 3] === '') values[at + 3] = null;
    if (values[at + 4] === '') values[at + 4] = null;
  }
  return values;
}
