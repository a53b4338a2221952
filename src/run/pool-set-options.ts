// What a caller can ask of a run's pool set as it follows the market and a file, and the defaults.

/** What a caller can ask of the pool set's refresh (part of CollectionOptions). */
export interface PoolSetOptions {
  /** Also collect the network's N newest pools (beside the other pools, or alone); refreshed with the top list. */
  newPools?: number;
  /** How often the top and new lists and the watchlist table are read again (ms). Default 15 min; 0: never. */
  refreshPoolsMs?: number;
  /** A pool that left the top or new list is dropped after this long (ms); its cursor is kept. Default 1 h. */
  poolGraceMs?: number;
  /** The file `pools` was read from: read again when it changes and on reloadPools(). */
  poolsFile?: string;
  /** How often the pools file's mtime is checked (ms). Default 2 s. */
  poolsFileCheckMs?: number;
}

export const POOL_SET_DEFAULTS = Object.freeze({
  refreshPoolsMs: 15 * 60_000,
  poolGraceMs: 60 * 60_000,
  poolsFileCheckMs: 2000,
});

/** Whether a run's pool set may change while it runs (and so needs room for more pools and control ports). */
export function poolSetFollows(
  o: PoolSetOptions & { top?: number | undefined; watchlist?: boolean | undefined },
): boolean {
  const refresh = o.refreshPoolsMs ?? POOL_SET_DEFAULTS.refreshPoolsMs;
  return (
    o.poolsFile !== undefined ||
    (refresh > 0 && (o.top !== undefined || o.newPools !== undefined || o.watchlist === true))
  );
}

/** Slots for a set that may change: room to turn over several times without giving back memory. */
export function poolSetCapacity(initial: number, o: PoolSetOptions & { top?: number | undefined }): number {
  return Math.max(initial, 2 * ((o.top ?? 0) + (o.newPools ?? 0)), 4 * initial, 256);
}
