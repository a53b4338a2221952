// Bounded latency sample (reservoir) with percentile summaries; used for commit and post→ack latency.

import type { LatencySummary } from '../protocol/messages.ts';

export class LatencyRecorder {
  private readonly samples: number[] = [];
  private seen = 0;
  private sum = 0;
  private maxSeen = 0;

  constructor(private readonly capacity = 8192) {}

  record(ms: number): void {
    this.seen++;
    this.sum += ms;
    if (ms > this.maxSeen) this.maxSeen = ms;
    if (this.samples.length < this.capacity) {
      this.samples.push(ms);
    } else {
      // Reservoir sampling keeps a uniform sample of everything seen in bounded memory.
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.capacity) this.samples[j] = ms;
    }
  }

  /** The retained sample (bounded), e.g. to merge recorders from several threads. */
  sample(): number[] {
    return [...this.samples];
  }

  summary(): LatencySummary {
    return summarize(this.samples, this.seen, this.sum, this.maxSeen);
  }
}

/** Percentiles of a sample; `count`, `sum` and `max` may cover more values than the sample holds. */
export function summarize(
  samples: readonly number[],
  count = samples.length,
  sum = samples.reduce((a, b) => a + b, 0),
  max = samples.reduce((a, b) => Math.max(a, b), 0),
): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
  return { count, mean: count ? sum / count : 0, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max };
}
