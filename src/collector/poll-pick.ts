// Which pool an adaptive poller polls next, chosen when the shared limit's next slot is near rather than when a
// pool falls due: a poll started early only queues in the limiter, ahead of pools that fall due meanwhile.

/** A pool as the pick sees it. */
export interface PickCandidate {
  poolId: string;
  dueAt: number;
  /** When its last answer arrived; undefined before its first. */
  answeredAt: number | undefined;
}

/** A started poll may wait this long for its slot: about a request's setup, so the slot is not left idle. */
export const SLOT_LEAD_MS = 20;

/** A pick: the pool, and whether it goes now although not yet due (a full window under a short budget). */
export interface Pick<T> {
  item: T;
  early: boolean;
}

/**
 * The next pool, by what its poll stores: a due pool whose poll answers a full window (its trades since the last
 * answer fill it, so every ms it waits loses trades); then, when `early` is allowed, one that answers a full window
 * before it is due (a short budget stretched it); then the rest by due time (pools not yet polled first, as they
 * are due at once). `fullWindow(poolId, sinceMs)`: the schedule's estimate that a poll now answers a full window
 * and the cache allows it. Under a budget that covers the plan no pool answers a full window before it is due, so
 * the order is the plan's. The caller allows `early` every other poll at most, so first polls never starve.
 */
export function pickNext<T>(
  candidates: Iterable<T>,
  view: (t: T) => PickCandidate,
  nowMs: number,
  fullWindow: (poolId: string, sinceMs: number) => boolean,
  early = false,
): Pick<T> | undefined {
  let best: PickCandidate | undefined;
  let bestItem: T | undefined;
  let bestTier = 3;
  for (const item of candidates) {
    const c = view(item);
    const full = c.answeredAt !== undefined && fullWindow(c.poolId, nowMs - c.answeredAt);
    const tier = full && c.dueAt <= nowMs ? 0 : full && early ? 1 : 2;
    if (!best || tier < bestTier || (tier === bestTier && c.dueAt < best.dueAt)) {
      best = c;
      bestItem = item;
      bestTier = tier;
    }
  }
  return bestItem === undefined ? undefined : { item: bestItem, early: bestTier === 1 };
}

/** How long to hold a due poll so that it starts when the limiter's next slot is near (0: start it now). */
export function holdForSlot(msToNextSlot: number | undefined): number {
  return msToNextSlot === undefined ? 0 : Math.max(0, msToNextSlot - SLOT_LEAD_MS);
}
