// The writer's row checks, the same for both engines: each trade of a batch checked before it is bound, turned into
// its bind-ready values, or rejected with its reason (the rest of the batch goes on).

import type { WriteBatchMessage } from '../protocol/messages.ts';
import type { BatchOutcome } from '../storage/write-engine.ts';
import { checkCreatedAt, validateTrade } from '../trades/trade-validation.ts';

/**
 * One batch's valid trades, flat (TRADE_FIELDS bind-ready values per row), each row checked as it is flattened,
 * bad rows going to its rejected list: both stores take and refuse exactly the same rows. `latest` (latestAcceptedTime): a row with a later block time is refused as in the future.
 * With `createdAt`, a batch's kept rows also push their own created_at there (null: none), in row order.
 */
export function batchValues(
  batch: WriteBatchMessage,
  out: BatchOutcome,
  latest: string,
  createdAt?: (string | null)[],
): unknown[] {
  const trades = batch.trades;
  if (!trades) return [];
  const flat: unknown[] = [];
  for (let i = 0; i < trades.length; i++) {
    const v = validateTrade(trades[i], i, latest);
    if (!v.ok) {
      out.rejected.push({ id: v.id, reason: v.reason });
      continue;
    }
    if (createdAt) {
      const c = checkCreatedAt(trades[i]!.createdAt);
      if (!c.ok) {
        out.rejected.push({ id: v.row[0], reason: c.reason });
        continue;
      }
      createdAt.push(c.value);
    }
    for (const x of v.row) flat.push(x);
  }
  return flat;
}

/** Whether a batch's trades carry their own created_at (imports): its rows then bind it one by one. */
export function hasOwnCreatedAt(batch: WriteBatchMessage): boolean {
  return batch.trades?.some((t) => t?.createdAt !== undefined && t?.createdAt !== null) ?? false;
}
