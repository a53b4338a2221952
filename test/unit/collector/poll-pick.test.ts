// The adaptive poller's pick: a due pool whose poll answers a full window goes before first polls of pools not
// yet polled (which are due at once), and a due poll is held until the shared limit's slot is near.
import { describe, expect, it } from 'vitest';
import { holdForSlot, type PickCandidate, pickNext, SLOT_LEAD_MS } from '../../../src/collector/poll-pick.ts';
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
