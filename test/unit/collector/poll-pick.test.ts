// The adaptive poller's pick: a due pool whose poll answers a full window goes before first polls of pools not
// yet polled (which are due at once), and a due poll is held until the shared limit's slot is near; a slot no due
// pool takes goes to a pool whose window is already full.
import { describe, expect, it } from 'vitest';
import {
  holdForSlot,
  type PickCandidate,
  pickEarly,
  pickNext,
  SLOT_LEAD_MS,
} from '../../../src/collector/poll-pick.ts';
import { PollSchedule } from '../../../src/collector/poll-schedule.ts';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';

const id = (c: PickCandidate) => c;
const rates: Record<string, number> = { busy: 60, quiet: 0.05 };
const fullWindow = (poolId: string, sinceMs: number) => ((rates[poolId] ?? 0) * sinceMs) / 1000 >= 300;

describe('pickNext', () => {
  it('takes a due busy pool whose window is full before a first poll', () => {
    const now = 100_000;
    const picked = pickNext(
      [
        { poolId: 'new', dueAt: Number.NEGATIVE_INFINITY, answeredAt: undefined },
        { poolId: 'busy', dueAt: now - 5, answeredAt: now - 60_000 },
      ],
      id,
      now,
      fullWindow,
    );
    expect(picked?.poolId).toBe('busy');
  });

  it('otherwise keeps the due order: first polls before a due pool that would not answer a full window', () => {
    const now = 100_000;
    const candidates = [
      { poolId: 'quiet', dueAt: now - 1000, answeredAt: now - 60_000 },
      { poolId: 'new', dueAt: Number.NEGATIVE_INFINITY, answeredAt: undefined },
      // Full once due, but not due yet.
      { poolId: 'busy', dueAt: now + 1000, answeredAt: now - 60_000 },
    ];
    expect(pickNext(candidates, id, now, fullWindow)?.poolId).toBe('new');
    expect(pickNext(candidates.slice(0, 1).concat(candidates.slice(2)), id, now, fullWindow)?.poolId).toBe('quiet');
    expect(pickNext([], id, now, fullWindow)).toBeUndefined();
  });
});

describe('pickEarly', () => {
  const fullInMs = (poolId: string, sinceMs: number) => {
    const rate = rates[poolId];
    return rate ? Math.max(0, (300 / rate) * 1000 - sinceMs) : Number.POSITIVE_INFINITY;
  };

  it('takes a pool not yet due whose window is full, the earliest due first, never a first poll', () => {
    const now = 100_000;
    const candidates = [
      { poolId: 'new', dueAt: Number.NEGATIVE_INFINITY, answeredAt: undefined },
      // Full (60/s for 10 s) but due later than busy-2.
      { poolId: 'busy', dueAt: now + 3000, answeredAt: now - 10_000 },
      { poolId: 'busy', dueAt: now + 1000, answeredAt: now - 6000 },
      // Not full: 0.05/s.
      { poolId: 'quiet', dueAt: now + 500, answeredAt: now - 60_000 },
    ];
    const early = pickEarly(candidates, id, now, fullInMs);
    expect(early.item).toBe(candidates[2]);
    expect(early.inMs).toBe(0);
  });

  it('says how soon a window fills when none is full yet, and never with only first polls or quiet pools', () => {
    const now = 100_000;
    const busy = { poolId: 'busy', dueAt: now + 3000, answeredAt: now - 4000 };
    expect(pickEarly([busy], id, now, fullInMs)).toEqual({ item: undefined, inMs: 1000 });
    const others = [
      { poolId: 'new', dueAt: Number.NEGATIVE_INFINITY, answeredAt: undefined },
      { poolId: 'unknown', dueAt: now + 10, answeredAt: now - 1000 },
    ];
    expect(pickEarly(others, id, now, fullInMs)).toEqual({ item: undefined, inMs: Number.POSITIVE_INFINITY });
  });

  it("takes the schedule's estimate and the cache: a full window the cache still holds is not full yet", () => {
    const settings = { ...PollSchedule.fixed(60_000), mode: 'adaptive' as const, minPollIntervalMs: 15_000 };
    const schedule = new PollSchedule(settings);
    schedule.add({
      poolId: 'p',
      address: 'p',
      cursor: null,
      recentIds: [],
      rate: { tradesPerSecond: 60, observedAt: '2026-01-01T00:00:00Z' },
    });
    // 300 trades at 60/s take 5 s; the cache holds the answer 15 s.
    expect(schedule.fullInMs('p', 1000)).toBe(14_000);
    expect(schedule.fullInMs('p', 20_000)).toBe(0);
    expect(schedule.fullInMs('unknown', 20_000)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('holdForSlot', () => {
  it('holds a due poll until the limit has a slot soon, and not at all without a limit', () => {
    expect(holdForSlot(undefined)).toBe(0);
    expect(holdForSlot(0)).toBe(0);
    expect(holdForSlot(SLOT_LEAD_MS)).toBe(0);
    expect(holdForSlot(5_000)).toBe(5_000 - SLOT_LEAD_MS);
  });

  it('reads the shared limit without taking its slot', () => {
    let now = 1_000_000;
    const limiter = new SharedRateLimiter({ callsPerMinute: 6, minSpacingMs: 0, clock: () => now });
    expect(limiter.msToNextSlot()).toBe(0);
    expect(limiter.msToNextSlot()).toBe(0);
    limiter.reserve();
    expect(limiter.msToNextSlot()).toBe(10_000);
    now += 4_000;
    expect(limiter.msToNextSlot()).toBe(6_000);
    // Peeking reserved nothing: the next reservation is the slot it said.
    expect(limiter.reserve() - now).toBe(6_000);
  });
});
