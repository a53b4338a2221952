// Why a batch was cut, carried from the batch processor to the writer so batch fill can be judged only on
// batches whose size says something about efficiency (a timer flush under low traffic says nothing).

/** `size`: maxBatchSize reached; `maxWait`: the oldest item waited maxWaitMs; `flush`: a caller's flush(); `close`: close(). */
export type FlushReason = 'size' | 'maxWait' | 'flush' | 'close';

export const FLUSH_REASONS: readonly FlushReason[] = Object.freeze(['size', 'maxWait', 'flush', 'close']);

/** What the writer files a trade batch under: its flush reason, or `unspecified` when the sender did not say (no batch processor). */
export type BatchOrigin = FlushReason | 'unspecified';

export const BATCH_ORIGINS: readonly BatchOrigin[] = Object.freeze([...FLUSH_REASONS, 'unspecified']);

/**
 * Origins whose batches are small because of low traffic or shutdown, not inefficiency: a timer flush means
 * fewer than maxBatchSize items arrived within maxWaitMs, and close() cuts one tail batch per processor.
 * Every other origin counts for batch fill: full batches, explicit flushes (forced too often, they make tiny
 * batches under load), and batches whose sender gives no reason.
 */
export const FILL_NEUTRAL_ORIGINS: ReadonlySet<BatchOrigin> = new Set<BatchOrigin>(['maxWait', 'close']);

export function isFlushReason(value: unknown): value is FlushReason {
  return typeof value === 'string' && (FLUSH_REASONS as readonly string[]).includes(value);
}

export type FlushReasonCounts = Record<FlushReason, number>;

export function emptyFlushReasonCounts(): FlushReasonCounts {
  return { size: 0, maxWait: 0, flush: 0, close: 0 };
}

/** Trade batches committed and their trade rows, per origin. */
export type BatchOriginFigures = Record<BatchOrigin, { batches: number; rows: number }>;

export function emptyBatchOriginFigures(): BatchOriginFigures {
  const out = {} as BatchOriginFigures;
  for (const o of BATCH_ORIGINS) out[o] = { batches: 0, rows: 0 };
  return out;
}
