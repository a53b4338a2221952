// Replay of the spool: reads spooled batches oldest first in chunks, hands each to the caller's write, and
// deletes it from the spool only after that write resolved (at least once, in seq order).

import type { WritePayload } from '../protocol/messages.ts';
import type { SpoolEntry, SpoolFile } from './spool-file.ts';
import { decodePayload } from './spool-payload.ts';

export interface ReplayOptions {
  /** Checked before each batch; an abort ends the run (resolving, not rejecting) after the batch in flight. */
  signal?: AbortSignal;
  /** Replay at most this many batches in this run. */
  maxBatches?: number;
}

export interface ReplayResult {
  /** Batches written and removed from the spool in this run. */
  replayed: number;
  /** 1 when the run stopped at a batch whose write failed, else 0. */
  failed: number;
  /** Batches left in the spool when the run ended. */
  remaining: number;
}

export interface ReplayInfo {
  seq: number;
  /** Failed replays of this batch so far. */
  attempts: number;
}

/** Must resolve only once the batch is committed (the writer's ack); any rejection keeps the batch spooled. */
export type ReplayWrite = (payload: WritePayload, info: ReplayInfo) => Promise<unknown>;

/** What a replay run reads from and reports to: the deferred queue. */
export interface ReplaySource {
  /** The spool, or null while no file exists; asked again for every chunk, so one created during the run is read. */
  spool(): SpoolFile | null;
  /** True once the run must stop (the queue is closing). */
  closing(): boolean;
  /** The batch was written and its row deleted from the spool. */
  replayed(entry: SpoolEntry): void;
  /** The batch's write failed; it stays in the spool and the run ends. */
  failed(entry: SpoolEntry, err: unknown): void;
}

/**
 * One replay run: stops at the first failed write, at `maxBatches`, on abort, when the source closes, or when
 * the spool is empty (batches deferred during the run are included).
 */
export async function replaySpool(
  source: ReplaySource,
  write: ReplayWrite,
  chunkSize: number,
  maxBatches: number,
  signal: AbortSignal | undefined,
): Promise<{ replayed: number; failed: number }> {
  let replayed = 0;
  let failed = 0;
  let after = 0;
  const stop = () => source.closing() || signal?.aborted === true || replayed >= maxBatches;
  outer: while (!stop()) {
    // No file yet means nothing was ever deferred; one created during the run is read from then on.
    const spool = source.spool();
    if (!spool) break;
    const chunk = spool.readAfter(after, Math.min(chunkSize, maxBatches - replayed));
    if (chunk.length === 0) break;
    for (const entry of chunk) {
      if (stop()) break outer;
      after = entry.seq;
      try {
        await write(decodePayload(entry.payload), { seq: entry.seq, attempts: entry.attempts });
      } catch (err) {
        source.failed(entry, err);
        failed = 1;
        break outer;
      }
      // Written: a crash from here until the delete commits only means this batch is replayed once more.
      spool.remove(entry.seq);
      source.replayed(entry);
      replayed += 1;
    }
  }
  return { replayed, failed };
}
