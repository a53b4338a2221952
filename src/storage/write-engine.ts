// What the writer thread's one group-commit loop (writer/group-commit-writer.ts) needs of a database: open it
// (migrations, cursor repair), write a group of checked batches inside one transaction, say what a failure means,
// report its own figures, close. Each engine answers it in its folder: sqlite/write-engine.ts, postgres/write-engine.ts.

import type { BackoffOptions } from '../common/backoff.ts';
import type {
  RejectedRow,
  SerializedWriteError,
  TradeConflict,
  WriteBatchMessage,
  WriterEngineFigures,
  WriterOpenInfo,
  WriterToCollector,
} from '../protocol/messages.ts';

export type Reply = (message: WriterToCollector) => void;

/** A batch waiting in the writer's queue, with where its answer goes and its record count. */
export interface QueuedBatch {
  batch: WriteBatchMessage;
  reply: Reply;
  rows: number;
}

/** What became of one batch's records in the transaction: what its ack reports. */
export interface BatchOutcome {
  inserted: number;
  duplicates: number;
  rejected: RejectedRow[];
  /** Duplicates stored with other contents (the first version kept). */
  conflicts?: TradeConflict[];
}

/** A batch of a group, its trades checked (the loop's row checks) and its outcome to fill. */
export interface GroupEntry {
  q: QueuedBatch;
  /** The batch's valid trades, TRADE_FIELDS bind-ready values a row (see writer/batch-values.ts). */
  flat: unknown[];
  /** An import batch's rows' own created_at, by row of `flat`; undefined otherwise (the write time is stored). */
  createdAt: (string | null)[] | undefined;
  out: BatchOutcome;
}

/**
 * What a failed group means: `retry` it after a backoff (a lock another program holds, a lost connection);
 * `split` it, batch by batch (a row-level error the checks missed: one batch must not sink the others); `fail` it
 * (every batch nacked alike: disk full, I/O, a read-only file).
 */
export interface WriteFailure {
  kind: 'retry' | 'split' | 'fail';
  error: SerializedWriteError;
}

/** One engine's side of the writer thread, open on its database. */
export interface WriteEngine {
  readonly info: WriterOpenInfo;
  /** Batches per group at most (rows are bounded by WriterSettings.groupCommitMaxRows). */
  readonly maxGroupBatches: number;
  /** The wait before retrying a group the engine called `retry`. */
  readonly retryBackoff: BackoffOptions;
  /** Writes every entry's records in one transaction and commits; throws, nothing committed, when it cannot. */
  writeGroup(entries: GroupEntry[]): void | Promise<void>;
  failure(err: unknown): WriteFailure;
  /** After each committed transaction (its wall time). */
  committed?(commitMs: number): void;
  /** The loop ran out of work; `backlog()` tells, later, whether more came meanwhile. */
  idle?(backlog: () => number): void;
  /** The engine's own figures, beside the loop's (getMetrics). */
  figures(): WriterEngineFigures;
  /** Everything is committed: close the connection. */
  close(): Promise<void>;
}
