// How a sender turns trades into a batch payload: packed into one string with the amounts as numbers (and marked
// checked when the writer's own batch checks pass here), or as objects when they cannot be packed losslessly.

import type { PackedTrades, WritePayload } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { senderChecks } from '../trades/packed-batch-check.ts';
import { amountNumbers } from '../trades/trade-amounts.ts';
import { packCreatedAt, packTrades } from '../trades/trade-packing.ts';

/** `trades` packed for the writer (see PackedTrades), or null when they cannot be packed. */
export function packedForWriter(trades: readonly TradeRecord[]): PackedTrades | null {
  const data = packTrades(trades);
  const createdAt = packCreatedAt(trades);
  if (data === null || createdAt === null) return null;
  const packed: PackedTrades = { count: trades.length, data, amounts: amountNumbers(trades) };
  if (createdAt !== undefined) packed.createdAt = createdAt;
  // The writer's checks run in the sender's thread, so the writer's, the funnel's one serial stage, only splits.
  const checked = senderChecks(data, trades.length, packed.amounts!);
  if (checked) packed.checked = checked;
  return packed;
}

/** The payload of a trades batch: packed when `pack` and the trades allow it, else the objects themselves. */
export function tradesPayload(trades: readonly TradeRecord[], pack = true): WritePayload {
  const packed = pack ? packedForWriter(trades) : null;
  return packed ? { packedTrades: packed } : { trades: trades as TradeRecord[] };
}
