// The adaptive schedule's arithmetic: intervals before the window fills, the cache floor, the max interval, and
// where a short budget goes (priority trades or pools), with the budget plan it reports.
import { describe, expect, it } from 'vitest';
import { allocate, BUDGET_SHARE, SAFE_FILL, WINDOW_TRADES } from '../../../src/collector/schedule-allocation.ts';
import type { ScheduleSettings } from '../../../src/protocol/pool-schedule.ts';

const settings = (over: Partial<ScheduleSettings> = {}): ScheduleSettings => ({
  mode: 'adaptive',
  pollIntervalMs: 60_000,
  minPollIntervalMs: 0,
  maxPollIntervalMs: 300_000,
  priority: 'trades',
  callsPerMinute: 60,
  ...over,
});
const callsPerMin = (intervals: readonly number[]) => intervals.reduce((s, ms) => s + 60_000 / ms, 0);

describe('allocate', () => {
  it('polls each pool before its window fills, at the safe margin, when the budget is just enough', () => {
    // 10 and 2 trades/s: the window fills in 30 s and 150 s; at 60 % of it, 18 s and 90 s (4.0 calls/min).
    const rates = [10, 2];
    const need = rates.reduce((s, r) => s + (60 * r) / (WINDOW_TRADES * SAFE_FILL), 0);
    const { intervalsMs, plan } = allocate(
      rates.map((rate) => ({ rate })),
      settings({ callsPerMinute: Math.ceil(need / BUDGET_SHARE) }),
    );
    expect(intervalsMs[0]).toBeCloseTo(18_000, -1);
    expect(intervalsMs[1]).toBeCloseTo(90_000, -2);
    expect(plan.neededPerMin).toBeCloseTo(need, 5);
    expect(plan.short).toBeNull();
  });

  it('never goes below the cache time and never above the max interval', () => {
    const { intervalsMs } = allocate(
      [{ rate: 500 }, { rate: 0.001 }, { rate: 0 }, { rate: undefined }],
      settings({
        minPollIntervalMs: 60_000,
        maxPollIntervalMs: 120_000,
        callsPerMinute: 1000,
      }),
    );
    expect(intervalsMs[0]).toBe(60_000);
    for (const ms of intervalsMs.slice(1)) expect(ms).toBeLessThanOrEqual(120_000);
    for (const ms of intervalsMs) expect(ms).toBeGreaterThanOrEqual(60_000);
  });

  it('spends part of a generous budget on more polls (a burst then loses less), within the budget', () => {
    const pools = [{ rate: 10 }, { rate: 1 }];
    const safe = allocate(pools, settings({ callsPerMinute: 8 }));
    const generous = allocate(pools, settings({ callsPerMinute: 600 }));
    expect(generous.intervalsMs[0]).toBeLessThan(safe.intervalsMs[0]!);
    expect(callsPerMin(generous.intervalsMs)).toBeLessThanOrEqual(600 * BUDGET_SHARE);
  });

  it('under a short budget spends every call on a full window and says what is missed and what would cover it', () => {
    // 60 trades/s needs 12 calls/min just to keep up (300 trades a call); give it 6.
    const { intervalsMs, plan } = allocate([{ rate: 60 }, { rate: 0.05 }], settings({ callsPerMinute: 6 }));
    // A short budget is spent whole.
    expect(callsPerMin(intervalsMs)).toBeCloseTo(6, 3);
    // No call is spent before a window is full.
    expect(intervalsMs[0]).toBeGreaterThanOrEqual((WINDOW_TRADES / 60) * 1000);
    expect(intervalsMs[1]).toBeGreaterThanOrEqual((WINDOW_TRADES / 0.05) * 1000);
    // Both lose alike (each call is a full window wherever it goes): made minus 300 a call.
    expect(plan.short?.pools).toBe(2);
    const stored = 300 * 6 * 60;
    expect(plan.short!.missedPerHour).toBeCloseTo(60.05 * 3600 - stored, -1);
    expect(plan.short!.budgetToCover).toBeGreaterThanOrEqual(Math.ceil(plan.neededPerMin));
  });

  it('with priority trades lets quiet pools wait past the max interval before the busy ones lose trades', () => {
    const pools = [{ rate: 20 }, ...Array.from({ length: 20 }, () => ({ rate: 0.01 }))];
    // 20/s: 4 calls/min lossless; 20 quiet pools at the 300 s max: 4 calls/min more. Budget 6.
    const trades = allocate(pools, settings({ callsPerMinute: 6 }));
    const alike = allocate(pools, settings({ callsPerMinute: 6, priority: 'pools' }));
    expect(trades.plan.short).toBeNull();
    expect(trades.intervalsMs[1]).toBeGreaterThan(300_000);
    expect(alike.intervalsMs[1]).toBe(300_000);
    expect(alike.plan.short?.pools).toBe(1);
    expect(alike.intervalsMs[0]).toBeGreaterThan(trades.intervalsMs[0]!);
  });

  it('counts a pool at the cache at the cache plus one limiter slot, and gives the calls it never makes to the rest', () => {
    // Keyless: 60 s cache, 6 calls/min, so the limiter's slots are 10 s apart and a 60/s pool is polled every 70 s.
    // Three of them spend 2.57 calls/min, not 3, which leaves the 2/s pools their safe 90 s (60 % of 150 s).
    const pools = [{ rate: 60 }, { rate: 60 }, { rate: 60 }, ...Array.from({ length: 4 }, () => ({ rate: 2 }))];
    const { intervalsMs, plan } = allocate(
      pools,
      settings({ minPollIntervalMs: 60_000, maxPollIntervalMs: 300_000, callsPerMinute: 6 }),
    );
    for (const ms of intervalsMs.slice(0, 3)) expect(ms).toBe(60_000);
    for (const ms of intervalsMs.slice(3)) expect(ms).toBeCloseTo(90_000, -2);
    const spent = 3 * (60_000 / 70_000) + 4 * (60_000 / 90_000);
    expect(plan.plannedPerMin).toBeCloseTo(spent, 3);
    // Only the cache-bound pools lose trades.
    expect(plan.short?.pools).toBe(3);
  });

  it('under a keyless short budget stretches the quiet pools only by the calls the cache-bound ones really make', () => {
    // 7 calls/min (slots 8.6 s apart): the 60 s cache pools spend a call per 68.6 s, and with that counted the
    // margin alone covers the need (the plan spends its share of the budget).
    const rates = [60, 25, 14, 6.1, 4.3, 3.1, 2.3, 0.6, 0.3, 0.05];
    const s = settings({ minPollIntervalMs: 60_000, maxPollIntervalMs: 300_000, callsPerMinute: 7 });
    const { intervalsMs, plan } = allocate(
      rates.map((rate) => ({ rate })),
      s,
    );
    const slot = 60_000 / 7;
    const real = intervalsMs.reduce((sum, ms) => sum + 60_000 / (ms <= 60_000 ? ms + slot : ms), 0);
    expect(real).toBeCloseTo(7 * BUDGET_SHARE, 2);
    expect(plan.plannedPerMin).toBeCloseTo(7 * BUDGET_SHARE, 2);
    // The 6.1/s pool fills its window in 49 s: counted at the cache alone, the plan stretched it to 76 s.
    expect(intervalsMs[3]).toBeLessThan(70_000);
  });
});
