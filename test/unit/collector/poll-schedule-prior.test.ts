// The schedule's prior from the API's counters: a pool without a stored rate starts from it (a stored rate wins),
// is planned with it, and is first due its interval after it arrived (at most the max interval); a slot is spare
// only with budget unused lately and no pool due within one limiter interval.
import { describe, expect, it } from 'vitest';
import { pickEarlyFirst, UnusedBudget } from '../../../src/collector/poll-pick.ts';
import { PollSchedule } from '../../../src/collector/poll-schedule.ts';
import type { PoolAssignment } from '../../../src/protocol/collector-task.ts';
import type { ScheduleSettings } from '../../../src/protocol/pool-schedule.ts';

const SETTINGS: ScheduleSettings = {
  mode: 'adaptive',
  pollIntervalMs: 60_000,
  minPollIntervalMs: 60_000,
  maxPollIntervalMs: 300_000,
  priority: 'trades',
  callsPerMinute: 6,
};

const pool = (n: number, extra: Partial<PoolAssignment> = {}): PoolAssignment => ({
  address: `P${n}`,
  poolId: `solana_P${n}`,
  cursor: null,
  recentIds: [],
  ...extra,
});

describe('PollSchedule with counters priors', () => {
  it('plans a seeded pool with its prior; a stored rate wins over it; a pool without either is unknown', () => {
    const s = new PollSchedule(SETTINGS);
    s.add(pool(1, { priorRate: 20 }));
    s.add(pool(2, { priorRate: 20, rate: { tradesPerSecond: 3, observedAt: '2025-01-01T00:00:00Z' } }));
    s.add(pool(3));
    expect([s.rateOf('solana_P1'), s.rateOf('solana_P2'), s.rateOf('solana_P3')]).toEqual([20, 3, undefined]);
    expect([s.seeded('solana_P1'), s.seeded('solana_P2'), s.seeded('solana_P3')]).toEqual([true, false, false]);
    expect(s.plan?.neededPerMin).toBeGreaterThan(0);
    // The fixed schedule takes no prior.
    const fixed = new PollSchedule(PollSchedule.fixed(60_000));
    fixed.add(pool(1, { priorRate: 20 }));
    expect(fixed.seeded('solana_P1')).toBe(false);
  });

  it('is first due its interval after it arrived, at most the max interval; spare slots take it sooner', () => {
    const s = new PollSchedule(SETTINGS);
    // 6 calls/min for a 60/s pool (lossless 5 s, so cache-bound at 60 s) and 39 quiet ones at 0.01/s: too few for
    // all at the max interval, so the quiet ones wait longer.
    s.add(pool(0, { priorRate: 60 }));
    for (let i = 1; i < 40; i++) s.add(pool(i, { priorRate: 0.01 }));
    const at = 1_000_000;
    expect(s.intervalMs('solana_P0')).toBeLessThanOrEqual(SETTINGS.maxPollIntervalMs);
    expect(s.firstDue('solana_P0', at)).toBe(at + s.intervalMs('solana_P0'));
    expect(s.intervalMs('solana_P1')).toBeGreaterThan(SETTINGS.maxPollIntervalMs);
    expect(s.firstDue('solana_P1', at)).toBe(at + SETTINGS.maxPollIntervalMs);
    // Before the busy pool's first poll, no slot is spare; after its answer, until it is nearly due again, with
    // budget unused over the last minute (none is spare before the limiter's grants were seen).
    expect(s.spareSlot(at)).toBe(false);
    s.observe('solana_P0', { atMs: at, count: 300, oldestMs: at - 5000, fresh: 300, gap: false });
    expect(s.spareSlot(at + 1000)).toBe(false);
    s.noteGrants(at - 60_000, 10);
    s.noteGrants(at, 16); // 6 of 6: none unused
    expect(s.spareSlot(at + 1000)).toBe(false);
    s.noteGrants(at + 1000, 16);
    s.noteGrants(at + 30_000, 17); // 7 of 9 over 90 s: 2 unused
    expect(s.spareSlot(at + 1000)).toBe(true);
    expect(s.seeded('solana_P0')).toBe(false);
    const interval = s.intervalMs('solana_P0');
    expect(s.spareSlot(at + 1000)).toBe(true);
    // One limiter interval (10 s at 6/min) before it is due, the slot is its.
    expect(s.spareSlot(at + interval - 9000)).toBe(false);
  });

  it('gives a spare slot to the busiest waiting pool', () => {
    const rates = new Map([
      ['a', 0.5],
      ['b', 2],
      ['c', 1],
    ]);
    expect(pickEarlyFirst(['a', 'b', 'c'], (x) => rates.get(x))).toBe('b');
    expect(pickEarlyFirst([], (x: string) => rates.get(x))).toBeUndefined();
  });

  it('counts the calls of the budget left unused over the last minute', () => {
    const u = new UnusedBudget(6);
    expect(u.unused()).toBe(0);
    u.sample(0, 100);
    u.sample(30_000, 103); // 3 of 3 used
    expect(u.unused()).toBeCloseTo(0, 9);
    u.sample(60_000, 104); // 1 of the next 3
    expect(u.unused()).toBeCloseTo(2, 9);
    // The window moves on: the first half-minute is forgotten.
    u.sample(90_000, 107);
    expect(u.unused()).toBeCloseTo(2, 9);
    u.sample(150_000, 113);
    expect(u.unused()).toBeCloseTo(0, 9);
  });
});
