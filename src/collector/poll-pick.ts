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

/**
 * The next pool: a due pool whose poll answers a full window (its trades since the last answer fill it, so
 * every ms it waits loses trades) before the others, then by due time (pools not yet polled first, as they are
 * due at once). `fullWindow(poolId, sinceMs)`: the schedule's estimate of that.
 */
export function pickNext<T>(
  candidates: Iterable<T>,
  view: (t: T) => PickCandidate,
  nowMs: number,
  fullWindow: (poolId: string, sinceMs: number) => boolean,
): T | undefined {
  let best: PickCandidate | undefined;
  let bestItem: T | undefined;
  let bestUrgent = false;
  for (const item of candidates) {
    const c = view(item);
    const urgent = c.answeredAt !== undefined && c.dueAt <= nowMs && fullWindow(c.poolId, nowMs - c.answeredAt);
    if (!best || (urgent && !bestUrgent) || (urgent === bestUrgent && c.dueAt < best.dueAt)) {
      best = c;
      bestItem = item;
      bestUrgent = urgent;
    }
  }
  return bestItem;
}

/** How long to hold a due poll so that it starts when the limiter's next slot is near (0: start it now). */
export function holdForSlot(msToNextSlot: number | undefined): number {
  return msToNextSlot === undefined ? 0 : Math.max(0, msToNextSlot - SLOT_LEAD_MS);
}

/**
 * For a spare slot (PollSchedule.spareSlot), the first poll of a pool seeded with the counters' rate and not due
 * yet (PollSchedule.firstDue), the busiest first: a slot nothing else wants is not left idle, and a due pool never
 * waits for such a poll.
 */
export function pickEarlyFirst<T>(waiting: Iterable<T>, rateOf: (t: T) => number | undefined): T | undefined {
  let best: T | undefined;
  let bestRate = Number.NEGATIVE_INFINITY;
  for (const item of waiting) {
    const rate = rateOf(item) ?? 0;
    if (best === undefined || rate > bestRate) {
      best = item;
      bestRate = rate;
    }
  }
  return best;
}

/** Calls of the budget the shared limit left unused over about the last minute, from its grant count now and then. */
export class UnusedBudget {
  private samples: [at: number, grants: number][] = [];

  constructor(
    private readonly callsPerMinute: number,
    private readonly windowMs = 60_000,
  ) {}

  sample(at: number, grants: number): void {
    // Samples closer than a second apart replace the newest: a poller may sample on every wake.
    const n = this.samples.length;
    if (n >= 2 && at - this.samples[n - 2]![0] < 1000) this.samples[n - 1] = [at, grants];
    else this.samples.push([at, grants]);
    // Keep one sample at or before the window's start.
    while (this.samples.length > 2 && this.samples[1]![0] <= at - this.windowMs) this.samples.shift();
  }

  unused(): number {
    if (this.samples.length < 2) return 0;
    const [t0, g0] = this.samples[0]!;
    const [t1, g1] = this.samples.at(-1)!;
    return (this.callsPerMinute * (t1 - t0)) / 60_000 - (g1 - g0);
  }
}
