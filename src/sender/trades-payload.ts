// How a sender turns trades into a batch payload: packed into one string with the amounts as numbers (and marked
// checked when the writer's own batch checks pass here), or as objects when they cannot be packed losslessly.

import type { PackedTrades, WritePayload } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { senderChecksPass } from '../trades/packed-batch-check.ts';
import { amountNumbers } from '../trades/trade-amounts.ts';
import { packTrades } from '../trades/trade-packing.ts';

/** `trades` packed for the writer (see PackedTrades), or null when they cannot be packed. */
export function packedForWriter(trades: readonly TradeRecord[]): PackedTrades | null {
  const data = packTrades(trades);
  if (data === null) return null;
  const amounts = amountNumbers(trades);
  // The writer's checks run in the sender's thread, so the writer's, the funnel's one serial stage, only splits.
  return senderChecksPass(data, trades.length, amounts)
    ? { count: trades.length, data, amounts, checked: true }
    : { count: trades.length, data, amounts };
}

/** The payload of a trades batch: packed when `pack` and the trades allow it, else the objects themselves. */
export function tradesPayload(trades: readonly TradeRecord[], pack = true): WritePayload {
  const packed = pack ? packedForWriter(trades) : null;
  return packed ? { packedTrades: packed } : { trades: trades as TradeRecord[] };
}
