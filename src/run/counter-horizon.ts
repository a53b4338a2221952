// Bounds a long run's counter-based coverage: the part of the run more than a trailing horizon behind the newest
// sample is frozen per pool (from the last fit that covered it), and each round fits only the horizon after it.

import {
  addParts,
  COUNTER_WINDOWS_MS,
  type EstimateParts,
  estimateOf,
  type GapSpan,
  type PoolCounterEstimate,
  type PoolCounterFit,
  type PoolCounterInput,
} from './counter-coverage.ts';

/** The horizon kept: bins reach 1 h back from their sample, so a piece 3 h behind the newest is held by bins the
 * fit has long seen; a new sample barely moves it. */
export const COUNTER_HORIZON_MS = 3 * 3_600_000;
/** How far a sample's bins reach back (h1). */
const REACH_MS = COUNTER_WINDOWS_MS.h1;

/**
 * The frozen boundary and the pools' frozen parts. A round's fit covers the samples after the boundary (their bins
 * reach an hour before it); it counts only from the boundary on. When the fitted span grows past two horizons, the
 * round's head (boundary to newest - horizon) is frozen and the boundary moves there: a run shorter than two
 * horizons is fitted whole, as without one.
 */
export class CounterHorizon {
  /** Pieces before it are frozen (-Infinity: none yet). */
  boundaryMs = Number.NEGATIVE_INFINITY;
  private readonly frozen = new Map<string, EstimateParts>();
  private splitMs: number | undefined;
  /** Per pool, the gaps starting before the boundary that a frozen part holds (by their bounds). */
  private accounted = new Map<string, Set<string>>();
  private nextAccounted = new Map<string, Set<string>>();

  constructor(
    private readonly startMs: number,
    readonly horizonMs = COUNTER_HORIZON_MS,
  ) {}

  /** A round begins; `newestMs` is the newest sample of any pool. */
  begin(newestMs: number): void {
    const from = Number.isFinite(this.boundaryMs) ? this.boundaryMs : this.startMs;
    this.splitMs = newestMs - from > 2 * this.horizonMs ? newestMs - this.horizonMs : undefined;
  }

  /** Gaps and stored counts are needed from here on: the bins of the samples kept reach no further back. */
  get readFromMs(): number {
    return Number.isFinite(this.boundaryMs) ? Math.max(this.startMs, this.boundaryMs - REACH_MS) : this.startMs;
  }

  /** Samples after the boundary are kept (the others' bins all end before it). */
  keeps(endMs: number): boolean {
    return endMs > this.boundaryMs;
  }

  /** Whether the pool has a frozen part (it is estimated even when no sample of it is left). */
  has(poolId: string): boolean {
    return this.frozen.has(poolId);
  }

  /**
   * The pool's input for this round's fit: the samples and gaps after the boundary's reach, and the bounds. A gap
   * recorded after its part before the boundary was frozen (a gap of hours) adds that part, rate x span, once.
   */
  trim(poolId: string, input: PoolCounterInput): PoolCounterInput {
    const key = (g: GapSpan) => `${g.fromMs}:${g.toMs}`;
    if (this.splitMs !== undefined) {
      const split = this.splitMs;
      this.nextAccounted.set(poolId, new Set(input.gaps.filter((g) => g.fromMs < split).map(key)));
    }
    if (!Number.isFinite(this.boundaryMs))
      return this.splitMs === undefined ? input : { ...input, splitMs: this.splitMs };
    const b = this.boundaryMs;
    const seen = this.accounted.get(poolId) ?? new Set<string>();
    this.accounted.set(poolId, seen);
    for (const g of input.gaps) {
      if (!(g.fromMs < b) || seen.has(key(g))) continue;
      seen.add(key(g));
      const span = g.toMs - g.fromMs;
      const before = span > 0 ? (g.estimated * (Math.min(b, g.toMs) - g.fromMs)) / span : g.estimated;
      const late = { missed: before, gapMissed: before, unexplained: 0, bins: 0, priorIn: 0, priorBinned: 0 };
      const frozen = this.frozen.get(poolId);
      this.frozen.set(poolId, frozen ? addParts(frozen, late) : late);
    }
    const reach = b - REACH_MS;
    return {
      ...input,
      samples: input.samples.filter((s) => this.keeps(s.endMs)),
      gaps: input.gaps.filter((g) => g.toMs > reach),
      countFromMs: this.boundaryMs,
      ...(this.splitMs === undefined ? {} : { splitMs: this.splitMs }),
    };
  }

  /**
   * A fill stored `stored` trades of a gap in [fromMs, toMs): the fits after the boundary see them in the stored
   * counts, the frozen part takes off its share before the boundary (a gap before the run is in no part).
   */
  noteFilled(poolId: string, fromMs: number, toMs: number, stored: number): void {
    const frozen = this.frozen.get(poolId);
    const b = this.boundaryMs;
    if (!frozen || !(fromMs < b) || toMs <= this.startMs) return;
    const span = toMs - fromMs;
    const share = span > 0 ? (Math.min(b, toMs) - Math.max(this.startMs, fromMs)) / span : 1;
    frozen.missed = Math.max(0, frozen.missed - stored * Math.max(0, share));
  }

  /** The pool's whole-run estimate, its frozen part and this round's fit; a splitting round freezes its head. */
  settle(poolId: string, fit: PoolCounterFit): PoolCounterEstimate {
    const frozen = this.frozen.get(poolId);
    if (fit.head) this.frozen.set(poolId, frozen ? addParts(frozen, fit.head) : fit.head);
    return frozen ? estimateOf(addParts(frozen, fit.parts)) : estimateOf(fit.parts);
  }

  /** The round ends: a split moves the boundary (samples, gaps and counts before its reach can go). */
  end(): boolean {
    if (this.splitMs === undefined) return false;
    this.boundaryMs = this.splitMs;
    this.splitMs = undefined;
    // A pool the round did not fit keeps its set: its gaps after the old boundary were frozen by none.
    for (const [poolId, set] of this.nextAccounted) this.accounted.set(poolId, set);
    this.nextAccounted = new Map();
    return true;
  }
}
