// The one cursor-repair rule, for both engines: a pool's cursor (collection_state) in the future (beyond the
// clock-skew allowance) or on a trade that is not stored goes back to the newest stored trade of its pool no later
// than the allowance (and than the cursor), or is removed when the pool has none (it then starts afresh). Each
// engine's cursor-repair.ts finds the bad cursors and moves them; the writer does it at open, doctor on demand.

import type { Logger } from 'pino';

/** A cursor position: a stored trade's id and its stored block time. */
export interface CursorPosition {
  id: string;
  timestamp: string;
}

/** A cursor to put back, as the engine found it. */
export interface BadCursorRow {
  poolId: string;
  id: string | null;
  timestamp: string | null;
  reason: 'future' | 'not-stored';
}

/** A cursor found in the future or on an unstored trade, and where it was put back (null: the row was removed). */
export interface RepairedCursor {
  poolId: string;
  from: { id: string | null; timestamp: string | null };
  to: CursorPosition | null;
  reason: 'future' | 'not-stored';
}

type Awaitable<T> = T | Promise<T>;

/** What an engine does for the repair, on its write connection. */
export interface CursorRepairStore {
  /** The cursors to put back (`latest` = latestAcceptedTime), by pool. */
  badCursors(latest: string): Awaitable<BadCursorRow[]>;
  /** The newest stored trade of `poolId` no later than `notAfter`. */
  newest(poolId: string, notAfter: string): Awaitable<CursorPosition | null>;
  move(poolId: string, to: CursorPosition): Awaitable<unknown>;
  drop(poolId: string): Awaitable<unknown>;
  /** Runs `work` in one write transaction. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}

/** Puts back every bad cursor, in one transaction; returns what it changed. */
export async function repairCursors(store: CursorRepairStore, latest: string): Promise<RepairedCursor[]> {
  const bad = await store.badCursors(latest);
  if (bad.length === 0) return [];
  return store.transaction(async () => {
    const repaired: RepairedCursor[] = [];
    for (const r of bad) {
      const bound = r.reason === 'future' || r.timestamp === null || r.timestamp > latest ? latest : r.timestamp;
      const to = await store.newest(r.poolId, bound);
      if (to) await store.move(r.poolId, to);
      else await store.drop(r.poolId);
      repaired.push({ poolId: r.poolId, from: { id: r.id, timestamp: r.timestamp }, to, reason: r.reason });
    }
    return repaired;
  });
}

/** One warning per cursor put back, with both positions. */
export function logRepairedCursors(log: Logger, repaired: readonly RepairedCursor[]): void {
  for (const r of repaired)
    log.warn(
      { poolId: r.poolId, from: r.from, to: r.to },
      r.reason === 'future'
        ? 'cursor was in the future (beyond the clock-skew allowance): put back on the newest stored trade of its pool'
        : 'cursor named a trade that is not stored: put back on the newest stored trade of its pool',
    );
}
