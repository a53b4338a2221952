// The batch-size histogram the writer thread counts (rows per committed trade batch) and /metrics exports:
// its bucket bounds, and one count per bucket, the last one for batches above every bound.

/** Upper bounds in rows: the presets cut at 50 and 200; imports send 500; a group commit takes up to 5000. */
export const BATCH_SIZE_BUCKETS: readonly number[] = Object.freeze([1, 5, 10, 25, 50, 100, 200, 500, 1000, 5000]);

/** Batches per bucket, not cumulative; length BATCH_SIZE_BUCKETS.length + 1 (the last: above every bound). */
export type BatchSizeCounts = number[];

export function emptyBatchSizeCounts(): BatchSizeCounts {
  return new Array<number>(BATCH_SIZE_BUCKETS.length + 1).fill(0);
}

export function countBatchSize(counts: BatchSizeCounts, rows: number): void {
  const i = BATCH_SIZE_BUCKETS.findIndex((b) => rows <= b);
  counts[i === -1 ? BATCH_SIZE_BUCKETS.length : i]!++;
}
