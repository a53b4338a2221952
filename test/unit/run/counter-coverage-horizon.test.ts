// The counter-based coverage over a long run, round by round as the run computes it (counterEstimates over a
// synthetic store): a run shorter than the horizon is estimated exactly as by one fit over everything; a 48 h run
// with bursts inside gaps stays within a small tolerance of that fit, while each round reads a bounded span.
import { describe, expect, it } from 'vitest';
import {
  type CounterSample,
  cutPoints,
  estimatePoolMissed,
  type GapSpan,
  type PoolCounterEstimate,
  type PoolCounterInput,
  poolBins,
  secondBreaks,
  storedPerPiece,
} from '../../../src/run/counter-coverage.ts';
import { COUNTER_HORIZON_MS, CounterHorizon } from '../../../src/run/counter-horizon.ts';
import { counterEstimates, StoredCountCache } from '../../../src/run/run-counter-coverage.ts';
import type { RecordedGap } from '../../../src/storage/collection-reads.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_700_000_000_000;
const RATE = 2;
const POOL = 'sim_pool';

/** Index of the first element > x (sorted). */
function upper(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** Index of the first element >= x (sorted). */
function lower(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A pool at RATE/s with ×factor bursts, polled every 4 minutes (each answer the newest 300 trades: 150 s of the
 * 240 s, so every poll records a gap), its counters read 2 minutes after each poll.
 */
function run(hours: number, bursts: { from: number; to: number; factor: number }[]) {
  const end = T0 + hours * HOUR;
  const times: number[] = [];
  for (let t = T0 - 2 * HOUR; t < end + 10 * MIN; ) {
    times.push(Math.floor(t));
    const b = bursts.find((x) => t >= x.from && t < x.to);
    t += 1000 / (RATE * (b?.factor ?? 1));
  }
  const polls: number[] = [];
  for (let t = T0; t <= end; t += 4 * MIN) polls.push(t);
  const storedTimes: number[] = [];
  const gaps: (RecordedGap & { detectedAt: number })[] = [];
  let cursor: number | undefined;
  let completeFromMs = -1;
  for (const [i, t] of polls.entries()) {
    const stop = upper(times, t);
    const first = Math.max(0, stop - 300);
    for (let k = Math.max(first, (cursor ?? -1) + 1); k < stop; k++) storedTimes.push(times[k]!);
    if (i === 0) completeFromMs = times[first]!;
    else if (cursor !== undefined && first > cursor + 1)
      gaps.push({
        poolId: POOL,
        fromMs: Math.floor(times[cursor]! / 1000) * 1000,
        toMs: Math.floor(times[first]! / 1000) * 1000,
        estimatedMissed: (RATE * (times[first]! - times[cursor]!)) / 1000,
        detectedAt: t,
      });
    cursor = stop - 1;
  }
  const sampleAt = (endMs: number): CounterSample => {
    const counts: CounterSample['counts'] = {};
    for (const [w, m] of Object.entries({ m5: 5, m15: 15, m30: 30, h1: 60 }))
      counts[w as 'm5'] = upper(times, endMs) - upper(times, endMs - m * MIN);
    return { endMs, counts };
  };
  const made = upper(times, end) - upper(times, T0);
  const storedIn = upper(storedTimes, end) - upper(storedTimes, T0);
  return { times, polls, storedTimes, gaps, completeFromMs, sampleAt, truth: made - storedIn, end };
}

type Run = ReturnType<typeof run>;

/** The rounds as the run makes them: a sample 2 min after each poll, one more at the end, a round after each. */
async function rounds(r: Run, horizon: CounterHorizon) {
  let samples: CounterSample[] = [];
  const cache = new StoredCountCache();
  const seen = { maxSamples: 0, maxGapSpanMs: 0, maxRanges: 0, maxCache: 0, gapsReadFrom: [] as number[] };
  let estimate: PoolCounterEstimate | undefined;
  let again: () => Promise<PoolCounterEstimate | undefined> = async () => undefined;
  const times = [...r.polls.slice(0, -1).map((p) => p + 2 * MIN), r.end];
  for (const now of times) {
    samples.push(r.sampleAt(now));
    const lastPoll = r.polls[upper(r.polls, now) - 1]!;
    // The store at `now`: trades stored by the polls so far (all at or before the last poll), gaps detected so far.
    const reads = {
      gapsSince: async (sinceMs: number) => {
        seen.gapsReadFrom.push(sinceMs);
        const out = r.gaps.filter((g) => g.detectedAt >= sinceMs && g.detectedAt <= now);
        seen.maxGapSpanMs = Math.max(seen.maxGapSpanMs, now - Math.min(now, ...out.map((g) => g.fromMs)));
        return out;
      },
      storedCountsIn: async (_pool: string, ranges: readonly (readonly [number, number])[]) => {
        seen.maxRanges = Math.max(seen.maxRanges, ranges.length);
        return ranges.map(
          ([a, b]) => lower(r.storedTimes, Math.min(b, lastPoll + 1)) - lower(r.storedTimes, Math.min(a, lastPoll + 1)),
        );
      },
    };
    seen.maxSamples = Math.max(seen.maxSamples, samples.length);
    const span = {
      poolId: POOL,
      firstPollMs: r.polls[0]!,
      lastPollMs: lastPoll,
      completeFromMs: r.completeFromMs,
      ratePerS: RATE,
    };
    const kept = samples;
    again = async () => (await counterEstimates(reads, [span], () => kept, cache, horizon)).get(POOL);
    estimate = await again();
    // What the run's sampler and cache keep after a round.
    samples = samples.filter((s) => horizon.keeps(s.endMs));
    cache.prune(horizon.readFromMs);
    seen.maxCache = Math.max(seen.maxCache, cache.size);
  }
  return { estimate: estimate!, seen, samples, again };
}

/** One fit over every sample and gap of the run: the estimate without a horizon. */
function unbounded(r: Run): PoolCounterEstimate & { pieces: number; intervals: number } {
  const samples = [...r.polls.slice(0, -1).map((p) => p + 2 * MIN), r.end].map(r.sampleAt);
  const gaps: GapSpan[] = r.gaps.map((g) => ({ fromMs: g.fromMs, toMs: g.toMs + 1000, estimated: g.estimatedMissed }));
  const input: PoolCounterInput = {
    samples,
    gaps,
    firstPollMs: r.polls[0]!,
    lastPollMs: r.polls[r.polls.length - 1]!,
    completeFromMs: r.completeFromMs,
    ratePerS: RATE,
  };
  const bins = poolBins(samples);
  const cuts = cutPoints(input, bins);
  const breaks = secondBreaks(cuts);
  const counts = breaks.slice(0, -1).map((b, j) => lower(r.storedTimes, breaks[j + 1]!) - lower(r.storedTimes, b));
  const e = estimatePoolMissed(input, bins, cuts, storedPerPiece(cuts, breaks, counts));
  return { ...e, pieces: cuts.length - 1, intervals: breaks.length - 1 };
}

const pick = (e: PoolCounterEstimate) => ({
  missed: e.missed,
  gapMissed: e.gapMissed,
  coveredShare: e.coveredShare,
  unexplained: e.unexplained,
  bins: e.bins,
});

describe('counter coverage over a trailing horizon', () => {
  it('a run shorter than the horizon: exactly the one fit over everything, nothing dropped', async () => {
    const r = run(2, [{ from: T0 + 50 * MIN + 30_000, to: T0 + 51 * MIN + 30_000, factor: 10 }]);
    const { estimate, samples } = await rounds(r, new CounterHorizon(T0));
    expect(pick(estimate)).toEqual(pick(unbounded(r)));
    expect(samples).toHaveLength(r.polls.length);
    expect(Math.abs(estimate.missed / r.truth - 1)).toBeLessThan(0.02);
  });

  it('48 h with bursts inside gaps: within 0.1 % of the fit over everything, each round over a bounded span', async () => {
    // A ×10 minute-long burst every 5 h, inside a gap (polls at 4-minute marks answer the last 30 s of it).
    const bursts = Array.from({ length: 9 }, (_, i) => ({
      from: T0 + (5 * i + 1) * HOUR + 2 * MIN + 30_000,
      to: T0 + (5 * i + 1) * HOUR + 3 * MIN + 30_000,
      factor: 10,
    }));
    const r = run(48, bursts);
    const { estimate, seen } = await rounds(r, new CounterHorizon(T0));
    const whole = unbounded(r);
    expect(whole.missed / whole.gapMissed).toBeGreaterThan(1.04);
    expect(Math.abs(estimate.missed / whole.missed - 1)).toBeLessThan(0.001);
    expect(Math.abs(estimate.gapMissed / whole.gapMissed - 1)).toBeLessThan(1e-9);
    expect(Math.abs(estimate.missed / r.truth - 1)).toBeLessThan(0.02);
    expect(estimate.bins).toBe(whole.bins);
    // Bounded by the horizon, not by the run's 720 samples: two horizons of samples and an hour's reach of gaps.
    const window = 2 * COUNTER_HORIZON_MS + 4 * MIN;
    expect(seen.maxSamples).toBeLessThanOrEqual(window / (4 * MIN) + 1);
    expect(seen.maxGapSpanMs).toBeLessThanOrEqual(window + HOUR + 4 * MIN);
    // The stored-count cache: the intervals of the two horizons and the reach, a small share of the run's.
    expect(seen.maxCache).toBeLessThan(whole.intervals / 4);
  });

  it('a gap of hours recorded after the part before the boundary was frozen: that part is counted, once', async () => {
    const r = run(14, []);
    // The pool unpolled from 6 h to 10 h: the gap is recorded at 10 h, when 6 h is already behind the boundary.
    r.gaps.push({
      poolId: POOL,
      fromMs: T0 + 6 * HOUR,
      toMs: T0 + 10 * HOUR,
      estimatedMissed: 5000,
      detectedAt: T0 + 10 * HOUR,
    });
    const horizon = new CounterHorizon(T0);
    const { estimate } = await rounds(r, horizon);
    expect(horizon.boundaryMs).toBeGreaterThan(T0 + 6 * HOUR);
    const all = r.gaps.reduce((sum, g) => sum + g.estimatedMissed, 0);
    expect(estimate.gapMissed / all).toBeCloseTo(1, 9);
  });

  it('a fill of a gap behind the boundary takes its stored trades off the frozen part', async () => {
    const r = run(14, []);
    const horizon = new CounterHorizon(T0);
    const { estimate, again } = await rounds(r, horizon);
    expect((await again())!.missed).toBeCloseTo(estimate.missed, 6);
    const g = r.gaps.find((x) => x.toMs + 1000 < horizon.boundaryMs - HOUR)!;
    horizon.noteFilled(POOL, g.fromMs, g.toMs + 1000, 100);
    expect((await again())!.missed).toBeCloseTo(estimate.missed - 100, 6);
  });

  it('a fit split at a boundary: its head and the part after it sum to the whole, nothing counted twice', () => {
    const r = run(2, [{ from: T0 + 50 * MIN + 30_000, to: T0 + 51 * MIN + 30_000, factor: 10 }]);
    const whole = unbounded(r);
    const samples = r.polls.map((p) => r.sampleAt(p + 2 * MIN));
    const gaps = r.gaps.map((g) => ({ fromMs: g.fromMs, toMs: g.toMs + 1000, estimated: g.estimatedMissed }));
    // A boundary inside a gap (the one before the burst's poll): the gap is cut there.
    const split = r.gaps[12]!.fromMs + 30_000;
    const fitWith = (extra: Partial<PoolCounterInput>) => {
      const input: PoolCounterInput = {
        samples: [...samples.slice(0, -1), r.sampleAt(r.end)],
        gaps,
        firstPollMs: r.polls[0]!,
        lastPollMs: r.end,
        completeFromMs: r.completeFromMs,
        ratePerS: RATE,
        ...extra,
      };
      const bins = poolBins(input.samples);
      const cuts = cutPoints(input, bins);
      const breaks = secondBreaks(cuts);
      const counts = breaks.slice(0, -1).map((b, j) => lower(r.storedTimes, breaks[j + 1]!) - lower(r.storedTimes, b));
      return estimatePoolMissed(input, bins, cuts, storedPerPiece(cuts, breaks, counts));
    };
    const head = fitWith({ splitMs: split }).head!;
    const rest = fitWith({ countFromMs: split }).parts;
    for (const k of ['missed', 'gapMissed', 'unexplained', 'bins'] as const)
      expect(head[k] + rest[k]).toBeCloseTo(whole[k], 6);
    expect(head.gapMissed).toBeGreaterThan(0);
    expect(rest.gapMissed).toBeGreaterThan(0);
  });
});
