// The status view's hourly counts: a full day read first, then only the current hour while the past hours are
// reused, and a full read again once they are old or the day has moved on an hour.
import { describe, expect, it } from 'vitest';
import { HourlyCountCache, PAST_HOURS_REUSE_MS, STATUS_HOURS } from '../../../src/storage/pool-status.ts';

const H = 3_600_000;
const now = Date.parse('2026-12-07T17:40:00Z');
const currentHour = Date.parse('2026-12-07T17:00:00Z');
const firstHour = currentHour - (STATUS_HOURS - 1) * H;

describe('HourlyCountCache', () => {
  it('reads the whole day, then the current hour only, then the whole day again', () => {
    const cache = new HourlyCountCache();
    expect(cache.plan('p', now).fromMs).toBe(firstHour);
    const day = cache.counts('p', now, [
      [firstHour, 5],
      [currentHour - H, 7],
      [currentHour, 2],
    ]);
    expect(day).toHaveLength(STATUS_HOURS);
    expect([day[0], day[STATUS_HOURS - 2], day[STATUS_HOURS - 1]]).toEqual([5, 7, 2]);

    const later = now + 60_000;
    expect(cache.plan('p', later).fromMs).toBe(currentHour);
    const again = cache.counts('p', later, [[currentHour, 9]]);
    expect([again[0], again[STATUS_HOURS - 2], again[STATUS_HOURS - 1]]).toEqual([5, 7, 9]);
    expect(again.reduce((a, b) => a + b, 0)).toBe(21);
    // Another pool has its own.
    expect(cache.plan('q', later).fromMs).toBe(firstHour);

    expect(cache.plan('p', now + PAST_HOURS_REUSE_MS).fromMs).toBe(firstHour);
    // The next hour (still within the reuse time from 17:59): the day has moved, read it all.
    const nextHour = Date.parse('2026-12-07T18:01:00Z');
    const fresh = new HourlyCountCache();
    fresh.counts('p', Date.parse('2026-12-07T17:59:00Z'), [[currentHour, 1]]);
    expect(fresh.plan('p', nextHour).fromMs).toBe(firstHour + H);
  });
});
