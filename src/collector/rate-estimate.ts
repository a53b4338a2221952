// One pool's trade-rate estimate from its own answers' block times: the trades each poll saw over the span they
// cover, smoothed over the last few hundred trades (memory counted in trades, so it is the same at any rate or time
// scale), jumping at once when an answer shows the pool far busier than thought (a burst, or a full answer that
// did not reach the cursor: its rate over the covered span is a lower bound for the time since the last poll).

/** An answer's figures, as the poller has them. */
export interface RateObservation {
  /** When the answer arrived (ms). */
  atMs: number;
  /** Trades in the answer (refused ones included). */
  count: number;
  /** Block time (ms) of its oldest and newest trades (NaN when empty). */
  oldestMs: number;
  newestMs?: number;
  /**
   * Trades in it stamped after its oldest trade's second. With whole-second stamps, those trades fell between the
   * end of that second and the answer: a busy pool's rate without the half-second guess of where the oldest fell.
   */
  newerCount?: number;
  /** Trades in it newer than the cursor before it (the new ones). */
  fresh: number;
  /** The answer did not reach back to the cursor: trades between them were missed. */
  gap: boolean;
}

/** Trades of memory: an observation of k trades keeps exp(−k / MEMORY_TRADES) of the past. */
const MEMORY_TRADES = 300;
const GAP_MEMORY_TRADES = 3000;
/** An answer at this many times the estimate, with enough trades to mean it, replaces the estimate. */
const JUMP_FACTOR = 2.5;
const JUMP_MIN_TRADES = 30;
/** The answer covers 24 hours at most. */
const ANSWER_SPAN_S = 86_400;
/** A stored rate starts with the weight of this many trades (or this many seconds for a quiet pool). */
const PRIOR_TRADES = 100;
const PRIOR_MIN_S = 600;
/** The shortest span an answer is taken to cover. */
const MIN_SPAN_S = 0.05;
/** Trades after an answer's oldest second for their span to give the rate (answerSample). */
const NEWER_MIN_TRADES = 30;

export class RateEstimate {
  /** Decayed trade count and decayed seconds observed: the estimate is their ratio. */
  private trades = 0;
  private seconds = 0;
  private lastAt: number | undefined;

  /**
   * `prior` (trades/s, e.g. the stored rate) stands until the first answer says otherwise. `counted`: the prior is
   * the API's counters' (less trusted than an estimate from answers): the first answer replaces it whole.
   */
  constructor(
    prior?: number,
    private readonly counted = false,
  ) {
    if (prior !== undefined && Number.isFinite(prior) && prior >= 0) {
      this.seconds = Math.max(PRIOR_MIN_S, prior > 0 ? PRIOR_TRADES / prior : 0);
      this.trades = prior * this.seconds;
    }
  }

  /** Trades/s; undefined while nothing is known. */
  get rate(): number | undefined {
    return this.seconds > 0 ? this.trades / this.seconds : undefined;
  }

  /**
   * Seconds the answer covers, from its oldest trade to its arrival (24 hours for an empty one). Block times are
   * whole seconds: the oldest trade happened half a second after its stamp on average, which matters when a
   * busy pool's 300 trades span a second or two.
   */
  static coveredSeconds(o: RateObservation): number {
    if (o.count === 0 || !Number.isFinite(o.oldestMs)) return ANSWER_SPAN_S;
    const stamp = o.oldestMs % 1000 === 0 ? 500 : 0;
    const span = Math.max(MIN_SPAN_S, (o.atMs - o.oldestMs - stamp) / 1000);
    // n trades seen since the oldest: the expected span of n arrivals is a little longer than from the first.
    return o.count >= 300 ? span : span * (1 + 1 / o.count);
  }

  /** The rate over the span the answer covers. */
  static answerRate(o: RateObservation): number {
    const [trades, seconds] = RateEstimate.answerSample(o);
    return trades / seconds;
  }

  /**
   * A full answer's trades over the time they cover. Stamped to the second, the trades after the oldest second
   * over the time since that second ended are exact; the half-second guess is kept for an answer within one or two
   * seconds, where too few trades or too little time follow it.
   */
  static answerSample(o: RateObservation): [trades: number, seconds: number] {
    const stamped = o.count >= 300 && Number.isFinite(o.oldestMs) && o.oldestMs % 1000 === 0;
    const afterS = (o.atMs - o.oldestMs - 1000) / 1000;
    if (stamped && o.newerCount !== undefined && o.newerCount >= NEWER_MIN_TRADES && afterS >= MIN_SPAN_S)
      return [o.newerCount, afterS];
    return [o.count, RateEstimate.coveredSeconds(o)];
  }

  observe(o: RateObservation): void {
    const previous = this.lastAt;
    this.lastAt = o.atMs;
    const current = this.rate;
    const [sampleTrades, sampleS] = RateEstimate.answerSample(o);
    if (previous === undefined) {
      // The first answer of this run: what it covers (one that is not full covers all of the last 24 h).
      this.reset(sampleTrades, sampleS);
      if (current !== undefined && !o.gap && !this.counted) this.blend(current);
      return;
    }
    // The jump judges by the least rate the answer allows (its oldest trade at the start of its second): the
    // stamps' noise alone never makes one.
    const least = o.count / Math.max(MIN_SPAN_S, (o.atMs - o.oldestMs) / 1000);
    if (o.count >= JUMP_MIN_TRADES && least > JUMP_FACTOR * (current ?? 0)) {
      this.reset(sampleTrades, sampleS);
      return;
    }
    // A gap: the answer's trades over the span they cover (the time before them is unseen). Else every new trade
    // over the time since the last poll.
    const [trades, seconds] = o.gap
      ? [sampleTrades, sampleS]
      : [o.fresh, Math.max(MIN_SPAN_S, (o.atMs - previous) / 1000)];
    // Answers of a busy pool cover a second or two, each stamped to the second: they are averaged over more.
    const keep = Math.exp(-trades / (o.gap ? GAP_MEMORY_TRADES : MEMORY_TRADES));
    this.trades = this.trades * keep + trades;
    this.seconds = this.seconds * keep + seconds;
  }

  /** A resumed pool's first answer: keep some of the stored rate's weight beside it. */
  private blend(prior: number): void {
    const w = Math.min(PRIOR_TRADES, this.trades) / 2;
    const s = prior > 0 ? w / prior : PRIOR_MIN_S;
    this.trades += prior * s;
    this.seconds += s;
  }

  private reset(trades: number, seconds: number): void {
    this.trades = trades;
    this.seconds = Math.max(0.001, seconds);
  }
}
