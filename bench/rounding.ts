// Rounding of the figures the bench scripts print: one place, so every report rounds alike.

import type { LatencySummary } from '../src/protocol/messages.ts';

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Every figure of a latency summary to `digits` decimals (the count stays whole). */
export function roundSummary(s: LatencySummary, digits: number): LatencySummary {
  return {
    count: s.count,
    mean: round(s.mean, digits),
    p50: round(s.p50, digits),
    p95: round(s.p95, digits),
    p99: round(s.p99, digits),
    max: round(s.max, digits),
  };
}
