// A histogram of durations in seconds with fixed buckets, kept where the durations are observed (the main
// thread sees every commit's duration in the writer's transaction outcomes) and exported to Prometheus as a
// histogram: cumulative bucket counts, a sum and a count.

/** Upper bounds in seconds: a group commit takes from well under a millisecond to seconds on a slow disk. */
export const COMMIT_SECONDS_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface HistogramFigures {
  /** Upper bounds, ascending (+Inf is implied). */
  buckets: number[];
  /** Observations at or below each bound (cumulative, as Prometheus counts them). */
  counts: number[];
  count: number;
  /** Sum of all observations, seconds. */
  sum: number;
}

export class DurationHistogram {
  private readonly perBucket: number[];
  private count = 0;
  private sum = 0;

  constructor(private readonly buckets: readonly number[] = COMMIT_SECONDS_BUCKETS) {
    this.perBucket = buckets.map(() => 0);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.count++;
    this.sum += seconds;
    const i = this.buckets.findIndex((b) => seconds <= b);
    if (i >= 0) this.perBucket[i]!++;
  }

  figures(): HistogramFigures {
    let running = 0;
    return {
      buckets: [...this.buckets],
      counts: this.perBucket.map((n) => (running += n)),
      count: this.count,
      sum: this.sum,
    };
  }
}
