// Trades a pool missed, from the API's own counters of trades made (a pool's `transactions` over rolling windows,
// sampled now and then) against the trades stored: each sample's windows (m5, and m15-m5, m30-m15, h1-m30) say
// how many trades were made in them, and what they made beyond what was stored can only lie where the collector
// could lose trades (its gaps, before its first poll, after its last). Those places share each window's excess by
// iterative proportional fitting from the gap estimates (rate x span), so the result is exact where the windows
// tile the run and falls back to rate x span where no window reaches.

/** The counter windows used, by the API's names: a sample's nested windows give disjoint bins. */
export const COUNTER_WINDOWS_MS = { m5: 300_000, m15: 900_000, m30: 1_800_000, h1: 3_600_000 } as const;
export type CounterWindow = keyof typeof COUNTER_WINDOWS_MS;
const WINDOWS = Object.keys(COUNTER_WINDOWS_MS) as CounterWindow[];

/** One pool's counters at one moment: trades made in (endMs - window, endMs], per window it carried. */
export interface CounterSample {
  endMs: number;
  counts: Partial<Record<CounterWindow, number>>;
}

/** A gap the collector recorded: its missed trades lie within [fromMs, toMs]; `estimated` is rate x span. */
export interface GapSpan {
  fromMs: number;
  toMs: number;
  estimated: number;
}

export interface PoolCounterInput {
  samples: readonly CounterSample[];
  gaps: readonly GapSpan[];
  /** The pool's first and last answer this run (ms). Missed trades are counted between them. */
  firstPollMs: number;
  lastPollMs: number;
  /** The first answer held every trade from here to firstPollMs (-Infinity: it held all it could, not full). */
  completeFromMs: number;
  /** Trades/s, the prior of the run's edges (before the first answer reached, after the last poll). */
  ratePerS: number;
  /** Only the part of the run from here is counted (a trailing horizon: the part before is frozen). */
  countFromMs?: number;
  /** The counted part from countFromMs to here is also given apart (`head`), to be frozen. */
  splitMs?: number;
}

/** Bins (ms, (from, to]) with the trades made in them, and the pieces of time they are cut into. */
export interface CounterBin {
  fromMs: number;
  toMs: number;
  made: number;
}

/** A pool's run as the monitor knows it (see PoolCounters' firstSuccessAt, completeFromMs). */
export interface PoolRunSpan {
  poolId: string;
  firstPollMs: number;
  lastPollMs: number;
  /** As PoolCounters' completeFromMs: -1 the first answer was not full, else its oldest trade's ms. */
  completeFromMs: number;
  ratePerS: number;
}

export interface PoolCounterEstimate {
  /** Missed between the first and the last answer, counters and gaps together. */
  missed: number;
  /** The same with the gaps' own estimates only (rate x span). */
  gapMissed: number;
  /** Share of the gaps' estimate that lies in a window of some sample (1: the counters cover every gap). */
  coveredShare: number;
  /** Trades the windows counted beyond the stored and the places they could be missed: counted, never served. */
  unexplained: number;
  bins: number;
}

/** A part of the run's estimate: additive, so a frozen part and a fitted part sum to the whole run's. */
export interface EstimateParts {
  missed: number;
  gapMissed: number;
  unexplained: number;
  bins: number;
  /** The gaps' prior inside the run, and the share of it some fitted bin covers (coveredShare's terms). */
  priorIn: number;
  priorBinned: number;
}

export interface PoolCounterFit extends PoolCounterEstimate {
  /** The counted part (from countFromMs), and when splitMs is given its head [countFromMs, splitMs). */
  parts: EstimateParts;
  head?: EstimateParts;
}

/** The estimate of parts: coveredShare from their prior terms. */
export function estimateOf(p: EstimateParts): PoolCounterEstimate {
  const coveredShare = p.priorIn > 0 ? p.priorBinned / p.priorIn : p.bins > 0 ? 1 : 0;
  return { missed: p.missed, gapMissed: p.gapMissed, coveredShare, unexplained: p.unexplained, bins: p.bins };
}

/** The sum of two parts. */
export function addParts(a: EstimateParts, b: EstimateParts): EstimateParts {
  return {
    missed: a.missed + b.missed,
    gapMissed: a.gapMissed + b.gapMissed,
    unexplained: a.unexplained + b.unexplained,
    bins: a.bins + b.bins,
    priorIn: a.priorIn + b.priorIn,
    priorBinned: a.priorBinned + b.priorBinned,
  };
}

/** A gap's estimate in [fromMs, toMs), by its share of time there (a gap with no span: where it starts). */
function gapShare(g: GapSpan, fromMs: number, toMs: number): number {
  const span = g.toMs - g.fromMs;
  if (!(span > 0)) return g.fromMs >= fromMs && g.fromMs < toMs ? g.estimated : 0;
  if (g.fromMs >= fromMs && g.toMs <= toMs) return g.estimated;
  const overlap = Math.min(toMs, g.toMs) - Math.max(fromMs, g.fromMs);
  return overlap > 0 ? (g.estimated * overlap) / span : 0;
}

/** A gap's time in [fromMs, toMs) outside (lo, hi), the reach of every bin. */
function outsideIn(g: GapSpan, fromMs: number, toMs: number, lo: number, hi: number): number {
  const over = (a: number, b: number) => Math.max(0, Math.min(b, g.toMs) - Math.max(a, g.fromMs));
  return over(fromMs, Math.min(toMs, lo)) + over(Math.max(fromMs, hi), toMs);
}

/** A sample's disjoint bins: (end-m5, end], (end-m15, end-m5], ...; a window it lacks ends the chain. */
export function sampleBins(s: CounterSample): CounterBin[] {
  const out: CounterBin[] = [];
  let innerMs = 0;
  let innerCount = 0;
  for (const w of WINDOWS) {
    const count = s.counts[w];
    if (count === undefined || !Number.isFinite(count)) break;
    const ms = COUNTER_WINDOWS_MS[w];
    out.push({ fromMs: s.endMs - ms, toMs: s.endMs - innerMs, made: Math.max(0, count - innerCount) });
    innerMs = ms;
    innerCount = Math.max(innerCount, count);
  }
  return out;
}

/** The cut points of a pool's pieces of time: every bin bound, gap bound and the run's edges, sorted, once each. */
export function cutPoints(input: PoolCounterInput, bins: readonly CounterBin[]): number[] {
  const cuts = new Set<number>();
  for (const b of bins) cuts.add(b.fromMs).add(b.toMs);
  const lo = Math.min(...bins.map((b) => b.fromMs));
  const hi = Math.max(...bins.map((b) => b.toMs));
  const inside = (x: number) => Number.isFinite(x) && x > lo && x < hi;
  for (const g of input.gaps) for (const x of [g.fromMs, g.toMs]) if (inside(x)) cuts.add(x);
  for (const x of [input.firstPollMs, input.lastPollMs, input.completeFromMs, input.countFromMs, input.splitMs])
    if (x !== undefined && inside(x)) cuts.add(x);
  return [...cuts].sort((a, b) => a - b);
}

/**
 * Whole seconds whose stored trades the pieces need: a block time is cut to the second, so a piece's stored trades
 * are those of its whole seconds and a share of the seconds its bounds fall in.
 */
export function secondBreaks(cuts: readonly number[]): number[] {
  const out = new Set<number>();
  for (const c of cuts) {
    const s = Math.floor(c / 1000) * 1000;
    out.add(s).add(s + 1000);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Stored trades per piece [cuts[i], cuts[i+1]), from the counts between consecutive `breaks` (block times in
 * [breaks[j], breaks[j+1])), each second's trades spread evenly over it.
 */
export function storedPerPiece(
  cuts: readonly number[],
  breaks: readonly number[],
  counts: readonly number[],
): number[] {
  const out = new Array<number>(Math.max(0, cuts.length - 1)).fill(0);
  let i = 0;
  for (let j = 0; j + 1 < breaks.length; j++) {
    const a = breaks[j]!;
    const b = breaks[j + 1]!;
    const n = counts[j] ?? 0;
    if (n === 0 || b <= a) continue;
    while (i + 1 < cuts.length && cuts[i + 1]! <= a) i++;
    for (let k = i; k + 1 < cuts.length && cuts[k]! < b; k++) {
      const overlap = Math.min(b, cuts[k + 1]!) - Math.max(a, cuts[k]!);
      if (overlap > 0) out[k]! += (n * overlap) / (b - a);
    }
  }
  return out;
}

const IPF_ROUNDS = 200;
/** A bin is fitted only when its edges' prior is at most this share of its run's (see estimatePoolMissed). */
export const MAX_EDGE_SHARE = 0.5;

/**
 * The estimate, given the samples' bins, their cut points and the stored trades per piece (storedPerPiece over
 * cutPoints). Pure: the caller reads the stored counts.
 */
export function estimatePoolMissed(
  input: PoolCounterInput,
  bins: readonly CounterBin[],
  cuts: readonly number[],
  stored: readonly number[],
): PoolCounterFit {
  const from = input.countFromMs ?? Number.NEGATIVE_INFINITY;
  const split = input.splitMs;
  const pieces = cuts.length - 1;
  if (bins.length === 0 || pieces <= 0) {
    const gapsIn = (a: number, b: number): EstimateParts => {
      const m = input.gaps.reduce((sum, g) => sum + gapShare(g, a, b), 0);
      return { missed: m, gapMissed: m, unexplained: 0, bins: 0, priorIn: 0, priorBinned: 0 };
    };
    return fitOf(gapsIn(from, Number.POSITIVE_INFINITY), split === undefined ? undefined : gapsIn(from, split));
  }
  const { firstPollMs: first, lastPollMs: last, completeFromMs: complete } = input;
  const rate = Math.max(0, input.ratePerS) / 1000;
  // The prior of each piece: a share of each gap's estimate by time inside the run, rate x time at its edges.
  const prior = new Array<number>(pieces).fill(0);
  const inRun = new Array<boolean>(pieces).fill(false);
  for (let k = 0; k < pieces; k++) {
    const mid = (cuts[k]! + cuts[k + 1]!) / 2;
    if (mid > first && mid < last) inRun[k] = true;
    else if (mid > last || mid < complete) prior[k] = rate * (cuts[k + 1]! - cuts[k]!);
  }
  // Each gap over the pieces it overlaps (found by bisection: the cuts are sorted), a long run's thousands of both.
  for (const g of input.gaps) {
    const span = g.toMs - g.fromMs;
    if (!(span > 0)) continue;
    const perMs = (g.estimated > 0 ? g.estimated : rate * span) / span;
    for (let k = Math.max(0, firstCutAtOrAfter(cuts, g.fromMs) - 1); k < pieces && cuts[k]! < g.toMs; k++) {
      const overlap = Math.min(cuts[k + 1]!, g.toMs) - Math.max(cuts[k]!, g.fromMs);
      if (inRun[k] && overlap > 0) prior[k]! += perMs * overlap;
    }
  }
  // Each bin's pieces (the cuts include every bin bound) and what it made beyond the stored. A bin whose run's
  // share would rest mostly on a guess of its edge's share (a run shorter than the window, a pool so busy that the
  // first answer reached back only seconds) says little about the run: it is left out, rate x span stands there.
  // A bin's pieces are the run of pieces from its first cut to its last: [lo, hi).
  const members = bins.flatMap((bin) => {
    const lo = firstCutAtOrAfter(cuts, bin.fromMs);
    const hi = Math.min(pieces, firstCutAtOrAfter(cuts, bin.toMs));
    let storedIn = 0;
    let edge = 0;
    let run = 0;
    for (let k = lo; k < hi; k++) {
      storedIn += stored[k] ?? 0;
      if (inRun[k]) run += prior[k]!;
      else edge += prior[k]!;
    }
    if (run > 0 && edge > MAX_EDGE_SHARE * run) return [];
    return [{ lo, hi, toMs: bin.toMs, excess: Math.max(0, bin.made - storedIn) }];
  });
  const x = prior.slice();
  for (let round = 0; round < IPF_ROUNDS; round++) {
    let moved = 0;
    for (const m of members) {
      let sum = 0;
      for (let k = m.lo; k < m.hi; k++) sum += x[k]!;
      if (!(sum > 0)) continue;
      const f = m.excess / sum;
      moved = Math.max(moved, Math.abs(f - 1));
      for (let k = m.lo; k < m.hi; k++) x[k]! *= f;
    }
    if (moved < 1e-6) break;
  }
  const binned = new Array<boolean>(pieces).fill(false);
  for (const m of members) for (let k = m.lo; k < m.hi; k++) binned[k] = true;
  const lo = cuts[0]!;
  const hi = cuts[cuts.length - 1]!;
  // The part [a, b) of the run: pieces by their middle, bins by their end (each in exactly one part of a split).
  const partsIn = (a: number, b: number): EstimateParts => {
    let missed = 0;
    let priorIn = 0;
    let priorBinned = 0;
    for (let k = 0; k < pieces; k++) {
      if (!inRun[k]) continue;
      const mid = (cuts[k]! + cuts[k + 1]!) / 2;
      if (mid < a || mid >= b) continue;
      missed += x[k]!;
      priorIn += prior[k]!;
      if (binned[k]) priorBinned += prior[k]!;
    }
    // Gap estimate outside every bin's reach (before the earliest or after the latest) stays as it was.
    let gapMissed = 0;
    for (const g of input.gaps) {
      const span = g.toMs - g.fromMs;
      gapMissed += gapShare(g, a, b);
      const outside = span > 0 ? outsideIn(g, a, b, lo, hi) : 0;
      if (span > 0 && outside > 0) missed += (g.estimated * outside) / span;
      else if (span <= 0) missed += gapShare(g, a, b);
    }
    let unexplained = 0;
    let counted = 0;
    for (const m of members) {
      if (!(m.toMs > a && m.toMs <= b)) continue;
      counted++;
      let sum = 0;
      for (let k = m.lo; k < m.hi; k++) sum += x[k]!;
      unexplained += Math.max(0, m.excess - sum);
    }
    return { missed, gapMissed, unexplained, bins: counted, priorIn, priorBinned };
  };
  return fitOf(partsIn(from, Number.POSITIVE_INFINITY), split === undefined ? undefined : partsIn(from, split));
}

function fitOf(parts: EstimateParts, head: EstimateParts | undefined): PoolCounterFit {
  return { ...estimateOf(parts), parts, ...(head ? { head } : {}) };
}

/** The index of the first cut >= ms (cuts.length when none). */
function firstCutAtOrAfter(cuts: readonly number[], ms: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every bin of a pool's samples. */
export function poolBins(samples: readonly CounterSample[]): CounterBin[] {
  return samples.flatMap(sampleBins);
}
