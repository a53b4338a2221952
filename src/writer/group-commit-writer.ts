// The writer's one group-commit loop, the same for both engines: queues incoming batches, checks their rows, has
// the engine commit whatever is waiting in one transaction (group commit), retries a group the database could not
// take now (with backoff), and replies to each batch only after its transaction committed. The engine
// (storage/*/write-engine.ts) writes the records; the gate (the breaker's state) is read before each group.

import type { Logger } from 'pino';
import { backoffDelayMs } from '../common/backoff.ts';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { emptyBatchSizeCounts } from '../protocol/batch-sizes.ts';
import { emptyBatchOriginFigures } from '../protocol/flush-reason.ts';
import type { SerializedWriteError, TransactionOutcome, WriteBatchMessage } from '../protocol/messages.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { GroupEntry, QueuedBatch, Reply, WriteEngine } from '../storage/write-engine.ts';
import { latestAcceptedTime } from '../trades/trade-validation.ts';
import { batchValues, hasOwnCreatedAt } from './batch-values.ts';
import { ConflictLog } from './conflict-log.ts';
import { acknowledgeBatch, type CommitCounters, countTransaction, rowsOf, takeGroup } from './group-accounting.ts';

export interface WriterHooks {
  /** The breaker's gate: while it does not allow writes, queued batches are nacked CIRCUIT_OPEN, not tried. */
  gate?: { readonly allowsWrites: boolean };
  /** Called after every transaction attempt that ends (commit, or failure after retries). */
  onOutcome?: (outcome: TransactionOutcome) => void;
}

export type LoopSettings = Pick<WriterSettings, 'groupCommitMaxRows' | 'lockRetries' | 'maxClockSkewMs'>;

export class GroupCommitWriter {
  private readonly queue: QueuedBatch[] = [];
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly conflictLog: ConflictLog;
  readonly commitLatency = new LatencyRecorder();
  readonly counters: CommitCounters = {
    transactions: 0,
    batchesCommitted: 0,
    batchesFailed: 0,
    batchesInTransactions: 0,
    tradeBatches: 0,
    tradeRows: 0,
    tradeBatchesByReason: emptyBatchOriginFigures(),
    tradeBatchSizes: emptyBatchSizeCounts(),
    rowsInserted: 0,
    duplicates: 0,
    rejected: 0,
    conflicts: 0,
    retries: 0,
    lockErrors: 0,
  };

  constructor(
    readonly engine: WriteEngine,
    private readonly settings: LoopSettings,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {
    this.conflictLog = new ConflictLog(log);
  }

  /** Conflicts per pool (the first pools seen). */
  get conflictsByPool(): ReadonlyMap<string, number> {
    return this.conflictLog.byPool;
  }

  get backlog(): number {
    return this.queue.length;
  }

  enqueue(batch: WriteBatchMessage, reply: Reply): void {
    if (this.closed) {
      reply({
        kind: 'nack',
        batchId: batch.batchId,
        error: { code: 'WRITER_UNAVAILABLE', message: 'writer is closing' },
      });
      return;
    }
    this.queue.push({ batch, reply, rows: rowsOf(batch) });
    this.schedule();
  }

  /** Resolves once the queue is empty and no transaction is pending. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.running && !this.retryTimer) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes what is queued, nacks anything newer (the sender keeps it), closes the engine. */
  async close(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    await this.engine.close();
  }

  private schedule(): void {
    if (this.running || this.retryTimer) return;
    // setImmediate lets every message already delivered to the ports join this group commit.
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.pump());
  }

  private async pump(): Promise<void> {
    let attempt = 0;
    try {
      while (this.queue.length > 0) {
        if (this.hooks.gate && !this.hooks.gate.allowsWrites) {
          // The breaker is open: don't hammer a sick database; senders defer these batches durably.
          this.refuse(this.queue.splice(0), {
            code: 'CIRCUIT_OPEN',
            message: 'circuit breaker is open; batch not written',
          });
          break;
        }
        const group = takeGroup(this.queue, this.settings.groupCommitMaxRows, this.engine.maxGroupBatches);
        const err = await this.commit(group);
        if (err === undefined) {
          attempt = 0;
          continue;
        }
        const failure = this.engine.failure(err);
        if (failure.error.code === 'DATABASE_LOCKED') this.counters.lockErrors++;
        if (failure.kind === 'retry' && attempt < this.settings.lockRetries) {
          attempt++;
          this.counters.retries++;
          this.queue.unshift(...group);
          const delay = backoffDelayMs(attempt, this.engine.retryBackoff);
          this.log.warn(
            { attempt, delayMs: delay, code: failure.error.sqliteCode ?? failure.error.pgCode },
            'the database could not take the group now; retrying it',
          );
          await new Promise<void>((resolve) => {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              resolve();
            }, delay);
          });
          continue;
        }
        attempt = 0;
        if (failure.kind === 'split' && group.length > 1) {
          // Should not happen (rows are checked and caught per record), but never let one batch sink others.
          for (const one of group) {
            const e = await this.commit([one]);
            if (e !== undefined) this.fail([one], this.engine.failure(e).error);
          }
        } else {
          this.fail(group, failure.error);
        }
      }
    } finally {
      this.running = undefined;
      if (this.queue.length > 0) this.schedule();
      else this.becameIdle();
    }
  }

  /** One attempt at the group: acked when it committed (undefined); otherwise nothing was, and the error. */
  private async commit(group: QueuedBatch[]): Promise<unknown> {
    const latest = latestAcceptedTime(this.settings.maxClockSkewMs);
    const entries: GroupEntry[] = group.map((q) => {
      const out = { inserted: 0, duplicates: 0, rejected: [] };
      const createdAt = hasOwnCreatedAt(q.batch) ? [] : undefined;
      return { q, out, flat: batchValues(q.batch, out, latest, createdAt), createdAt };
    });
    const t0 = performance.now();
    try {
      await this.engine.writeGroup(entries);
    } catch (err) {
      return err;
    }
    const commitMs = performance.now() - t0;
    this.engine.committed?.(commitMs);
    this.commitLatency.record(commitMs);
    this.hooks.onOutcome?.({ kind: 'outcome', ok: true, batches: group.length, rows: rowsIn(group), commitMs });
    countTransaction(this.counters, group.length);
    for (const { q, out } of entries) acknowledgeBatch(this.counters, q, out, commitMs, this.log, this.conflictLog);
    return undefined;
  }

  private fail(group: QueuedBatch[], error: SerializedWriteError): void {
    this.counters.batchesFailed += group.length;
    this.log.error(
      { batches: group.length, code: error.code, err: error.message },
      'group commit failed; batches nacked',
    );
    this.hooks.onOutcome?.({
      kind: 'outcome',
      ok: false,
      batches: group.length,
      rows: rowsIn(group),
      commitMs: 0,
      error,
    });
    this.refuse(group, error);
  }

  private refuse(group: QueuedBatch[], error: SerializedWriteError): void {
    for (const q of group) q.reply({ kind: 'nack', batchId: q.batch.batchId, error });
  }

  private becameIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    if (!this.closed) this.engine.idle?.(() => this.queue.length);
  }
}

function rowsIn(group: readonly QueuedBatch[]): number {
  return group.reduce((n, q) => n + q.rows, 0);
}
