// The counter-based missed estimate against a synthetic pool whose every trade is known: a burst inside a long gap
// fools rate x span; the counters' windows, sampled at least once per window, see it.
import { describe, expect, it } from 'vitest';
import {
  type CounterSample,
  cutPoints,
  estimatePoolMissed,
  type GapSpan,
  type PoolCounterInput,
  poolBins,
  sampleBins,
  secondBreaks,
  storedPerPiece,
} from '../../../src/run/counter-coverage.ts';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

/** Trade times (ms): `rate`/s, ×`factor` inside [burstFrom, burstTo). Evenly spaced, so counts are exact. */
function market(fromMs: number, toMs: number, rate: number, bursts: { from: number; to: number; factor: number }[]) {
  const times: number[] = [];
  let t = fromMs;
  while (t < toMs) {
    times.push(Math.floor(t));
    const b = bursts.find((x) => t >= x.from && t < x.to);
    t += 1000 / (rate * (b?.factor ?? 1));
  }
  return times;
}

/** Polls at `at` answering the newest 300 trades at or before each; the gaps (rate x span with `rate`) and stored. */
function collect(times: number[], at: number[], rate: number) {
  const stored = new Set<number>();
  const gaps: GapSpan[] = [];
  let cursor: number | undefined;
  let completeFromMs = Number.NEGATIVE_INFINITY;
  for (const [i, t] of at.entries()) {
    let end = times.findIndex((x) => x > t);
    if (end < 0) end = times.length;
    const first = Math.max(0, end - 300);
    for (let k = first; k < end; k++) stored.add(k);
    const full = end - first === 300;
    if (i === 0) {
      if (full) completeFromMs = times[first]!;
    } else if (full && cursor !== undefined && first > cursor + 1) {
      const fromMs = Math.floor(times[cursor]! / 1000) * 1000;
      const toMs = Math.floor(times[first]! / 1000) * 1000 + 1000;
      gaps.push({ fromMs, toMs, estimated: (rate * (times[first]! - times[cursor]!)) / 1000 });
    }
    cursor = end - 1;
  }
  return { stored, gaps, completeFromMs };
}

function count(times: number[], fromMs: number, toMs: number): number {
  return times.filter((t) => t > fromMs && t <= toMs).length;
}

function sample(times: number[], endMs: number): CounterSample {
  const w = { m5: 5, m15: 15, m30: 30, h1: 60 } as const;
  const counts: CounterSample['counts'] = {};
  for (const [k, m] of Object.entries(w)) counts[k as keyof typeof w] = count(times, endMs - m * MIN, endMs);
  return { endMs, counts };
}

/** The estimate with stored counts read the way the run reads them: per whole second of block time. */
function estimate(times: number[], stored: Set<number>, input: PoolCounterInput) {
  const bins = poolBins(input.samples);
  const cuts = cutPoints(input, bins);
  const breaks = secondBreaks(cuts);
  const storedSeconds = [...stored].map((k) => Math.floor(times[k]! / 1000) * 1000);
  const counts = breaks.slice(0, -1).map((b, j) => storedSeconds.filter((s) => s >= b && s < breaks[j + 1]!).length);
  return estimatePoolMissed(input, bins, cuts, storedPerPiece(cuts, breaks, counts));
}

/** A 30-minute run of a 5/s pool polled every 4 minutes (300 trades last a minute): a ×10 burst in one gap. */
function scenario(opts: { burst: boolean; sampleEvery: number; ageMs?: number; drop?: number[] }) {
  const rate = 5;
  const start = T0;
  const end = T0 + 30 * MIN;
  const bursts = opts.burst ? [{ from: T0 + 9 * MIN, to: T0 + 10 * MIN, factor: 10 }] : [];
  const times = market(T0 - 70 * MIN, end + 10 * MIN, rate, bursts);
  const polls: number[] = [];
  for (let t = start; t <= end; t += 4 * MIN) polls.push(t);
  const { stored, gaps, completeFromMs } = collect(times, polls, rate);
  const first = polls[0]!;
  const last = polls[polls.length - 1]!;
  const made = count(times, first, last);
  const storedIn = [...stored].filter((k) => times[k]! > first && times[k]! <= last).length;
  const samples: CounterSample[] = [];
  for (let t = first, i = 0; t <= last + opts.sampleEvery - 1; t += opts.sampleEvery, i++) {
    if (opts.drop?.includes(i)) continue;
    const at = Math.min(t, last);
    // A cached answer counts up to when it was computed; the estimator is told its answer time only.
    const s = sample(times, at - (opts.ageMs ?? 0));
    samples.push({ ...s, endMs: at - (opts.ageMs ?? 0) / 2 });
  }
  const input: PoolCounterInput = {
    samples,
    gaps,
    firstPollMs: first,
    lastPollMs: last,
    completeFromMs,
    ratePerS: rate,
  };
  return { truth: made - storedIn, result: estimate(times, stored, input) };
}

describe('sampleBins', () => {
  it('nested windows become disjoint bins, inner counts taken off', () => {
    const bins = sampleBins({ endMs: T0, counts: { m5: 10, m15: 25, m30: 25, h1: 40 } });
    expect(bins).toEqual([
      { fromMs: T0 - 5 * MIN, toMs: T0, made: 10 },
      { fromMs: T0 - 15 * MIN, toMs: T0 - 5 * MIN, made: 15 },
      { fromMs: T0 - 30 * MIN, toMs: T0 - 15 * MIN, made: 0 },
      { fromMs: T0 - 60 * MIN, toMs: T0 - 30 * MIN, made: 15 },
    ]);
  });

  it('a window the answer lacks ends the chain (the bins stay disjoint)', () => {
    expect(sampleBins({ endMs: T0, counts: { m5: 10, m30: 40 } })).toHaveLength(1);
  });
});

describe('storedPerPiece', () => {
  it("spreads a second's trades over the pieces its time falls in", () => {
    const cuts = [T0, T0 + 250, T0 + 2000];
    const breaks = secondBreaks(cuts);
    expect(breaks).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000]);
    expect(storedPerPiece(cuts, breaks, [8, 4, 100])).toEqual([2, 10]);
  });
});

describe('estimatePoolMissed', () => {
  it('without bursts, rate x span is right and the counters agree', () => {
    const { truth, result } = scenario({ burst: false, sampleEvery: 4 * MIN });
    expect(truth).toBeGreaterThan(1000);
    expect(Math.abs(result.gapMissed / truth - 1)).toBeLessThan(0.02);
    expect(Math.abs(result.missed / truth - 1)).toBeLessThan(0.02);
    expect(result.coveredShare).toBe(1);
  });

  it('a burst inside a gap: rate x span misses it, the counters sampled every 4 minutes do not', () => {
    const { truth, result } = scenario({ burst: true, sampleEvery: 4 * MIN });
    // The burst's 2,700 extra trades fall in one gap: rate x span at the base rate cannot know of them.
    expect(result.gapMissed / truth).toBeLessThan(0.75);
    expect(Math.abs(result.missed / truth - 1)).toBeLessThan(0.01);
    expect(result.unexplained).toBeLessThan(1);
  });

  it('answers up to a minute old (the keyless cache), stamped half a minute old: within 5 %', () => {
    const { truth, result } = scenario({ burst: true, sampleEvery: 4 * MIN, ageMs: 60_000 });
    expect(Math.abs(result.missed / truth - 1)).toBeLessThan(0.05);
  });

  it('a missed sample: the next sample’s m15 bin covers the hole', () => {
    const { truth, result } = scenario({ burst: true, sampleEvery: 4 * MIN, drop: [3] });
    expect(Math.abs(result.missed / truth - 1)).toBeLessThan(0.02);
  });

  it('no samples: the gaps’ own estimate', () => {
    const r = estimatePoolMissed(
      {
        samples: [],
        gaps: [{ fromMs: T0, toMs: T0 + MIN, estimated: 42 }],
        firstPollMs: T0 - MIN,
        lastPollMs: T0 + 2 * MIN,
        completeFromMs: Number.NEGATIVE_INFINITY,
        ratePerS: 1,
      },
      [],
      [],
      [],
    );
    expect(r).toMatchObject({ missed: 42, gapMissed: 42, coveredShare: 0, bins: 0 });
  });

  it('counters that count trades never served: the excess is unexplained, not missed', () => {
    const times = market(T0 - 70 * MIN, T0 + 20 * MIN, 0.5, []);
    // Polled every 4 minutes at 0.5/s: 120 trades an answer, never a gap; the counters count 10 % more.
    const polls = [T0, T0 + 4 * MIN, T0 + 8 * MIN, T0 + 12 * MIN];
    const { stored, gaps } = collect(times, polls, 0.5);
    expect(gaps).toHaveLength(0);
    const samples = polls.map((t) => {
      const s = sample(times, t);
      return { endMs: t, counts: { m5: Math.round((s.counts.m5 ?? 0) * 1.1) } };
    });
    const r = estimate(times, stored, {
      samples,
      gaps,
      firstPollMs: T0,
      lastPollMs: T0 + 12 * MIN,
      completeFromMs: Number.NEGATIVE_INFINITY,
      ratePerS: 0.5,
    });
    expect(r.missed).toBe(0);
    expect(r.unexplained).toBeGreaterThan(0);
  });
});
