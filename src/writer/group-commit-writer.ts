// The writer's engine (runs inside the writer thread): queues incoming batches, commits whatever is waiting
// in one BEGIN IMMEDIATE transaction (group commit), and replies to each batch only after COMMIT returned.
// This file is the group selection and transaction loop; group-records.ts writes a group's records inside the
// transaction, and wal-checkpoints.ts decides when the writer checkpoints.

import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { backoffDelayMs } from '../common/backoff.ts';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { isLockError, isRowLevelError, sqliteCodeOf } from '../errors.ts';
import { emptyBatchOriginFigures } from '../protocol/flush-reason.ts';
import type { SerializedWriteError, TransactionOutcome, WriteBatchMessage } from '../protocol/messages.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import { type BatchOutcome, writeGroupRecords } from '../storage/sqlite/group-records.ts';
import { storedTimestamp, type WriteStatements } from '../storage/sqlite/trade-statements.ts';
import { type CheckpointMode, type CheckpointResult, WalCheckpoints } from '../storage/sqlite/wal-checkpoints.ts';
import { latestAcceptedTime } from '../trades/trade-validation.ts';
import { ConflictLog } from './conflict-log.ts';
import {
  acknowledgeBatch,
  countTransaction,
  type QueuedBatch,
  type Reply,
  rowsOf,
  takeGroup,
} from './group-accounting.ts';

export interface WriterHooks {
  /** The breaker's gate: while it does not allow writes, queued batches are nacked CIRCUIT_OPEN, not tried. */
  gate?: { readonly allowsWrites: boolean };
  /** Called after every transaction attempt that ends (commit, or failure after retries). */
  onOutcome?: (outcome: TransactionOutcome) => void;
}

const BUSY_WAIT_THRESHOLD_MS = 2;

export class GroupCommitWriter {
  private readonly queue: QueuedBatch[] = [];
  private readonly statements: WriteStatements;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lockAttempts = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly wal: WalCheckpoints;
  private closed = false;
  private readonly conflictLog: ConflictLog;
  readonly commitLatency = new LatencyRecorder();
  readonly counters = {
    transactions: 0,
    batchesCommitted: 0,
    batchesFailed: 0,
    batchesInTransactions: 0,
    /** Batches that carried trades, and their trade rows: what batch fill is judged on. */
    tradeBatches: 0,
    tradeRows: 0,
    tradeBatchesByReason: emptyBatchOriginFigures(),
    rowsInserted: 0,
    duplicates: 0,
    rejected: 0,
    conflicts: 0,
    busyWaits: 0,
    busyRetries: 0,
    lockErrors: 0,
    lockWaitMs: 0,
    checkpoints: 0,
    walPages: 0,
  };

  constructor(
    private readonly db: Database,
    statements: WriteStatements,
    private readonly settings: Pick<
      WriterSettings,
      | 'groupCommitMaxRows'
      | 'sortGroupById'
      | 'lockRetries'
      | 'busyTimeoutMs'
      | 'pragmas'
      | 'slowdownFactor'
      | 'checkpointIntervalMs'
      | 'maxClockSkewMs'
    >,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {
    this.statements = statements;
    this.wal = new WalCheckpoints(db, settings, this.counters, log);
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
    if (this.queue.length === 0 && !this.scheduled && !this.retryTimer) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes what is queued, nacks anything newer (the sender keeps it), checkpoints. */
  async close(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    this.wal.close();
  }

  checkpoint(mode: CheckpointMode): CheckpointResult {
    return this.wal.checkpoint(mode);
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    // setImmediate lets every message already delivered to the ports join this group commit.
    setImmediate(() => {
      this.scheduled = false;
      this.commitWaiting();
    });
  }

  private commitWaiting(): void {
    if (this.queue.length === 0) return this.becameIdle();
    if (this.hooks.gate && !this.hooks.gate.allowsWrites) {
      // The breaker is open: don't hammer a sick database; senders defer these batches durably.
      this.refuse(this.queue.splice(0), {
        code: 'CIRCUIT_OPEN',
        message: 'circuit breaker is open; batch not written',
      });
      return this.becameIdle();
    }
    const group = takeGroup(this.queue, this.settings.groupCommitMaxRows);
    try {
      this.commitGroup(group);
      this.lockAttempts = 0;
    } catch (err) {
      if (isLockError(err)) {
        this.counters.lockErrors++;
        if (this.lockAttempts < this.settings.lockRetries) {
          this.lockAttempts++;
          this.counters.busyRetries++;
          this.queue.unshift(...group);
          const delay = backoffDelayMs(this.lockAttempts, { baseMs: 25, maxMs: 1000 });
          this.log.warn(
            { attempt: this.lockAttempts, delayMs: Math.round(delay), code: sqliteCodeOf(err) },
            'database locked by another connection; retrying group commit',
          );
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.commitWaiting();
          }, delay);
          return;
        }
        this.lockAttempts = 0;
      }
      if (group.length > 1 && isRowLevelError(err)) {
        // Should not happen (rows are validated and caught per record), but never let one batch sink others.
        for (const one of group) {
          try {
            this.commitGroup([one]);
          } catch (e) {
            this.fail([one], e);
          }
        }
      } else {
        // Environmental failure (lock outlived the retries, disk full, I/O...): every batch in the group alike.
        this.fail(group, err);
      }
    }
    if (this.queue.length > 0) this.schedule();
    else this.becameIdle();
  }

  private fail(group: QueuedBatch[], err: unknown): void {
    const sqliteCode = sqliteCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const error: SerializedWriteError = {
      code: isLockError(err) ? 'DATABASE_LOCKED' : 'WRITE_FAILED',
      ...(sqliteCode ? { sqliteCode } : {}),
      message,
    };
    this.counters.batchesFailed += group.length;
    this.log.error({ batches: group.length, sqliteCode, err: message }, 'group commit failed; batches nacked');
    this.hooks.onOutcome?.({
      kind: 'outcome',
      ok: false,
      batches: group.length,
      rows: group.reduce((n, q) => n + q.rows, 0),
      commitMs: 0,
      error,
    });
    this.refuse(group, error);
  }

  private refuse(group: QueuedBatch[], error: SerializedWriteError): void {
    for (const q of group) q.reply({ kind: 'nack', batchId: q.batch.batchId, error });
  }

  private commitGroup(group: QueuedBatch[]): void {
    const db = this.db;
    const outcomes: BatchOutcome[] = group.map(() => ({ inserted: 0, duplicates: 0, rejected: [] }));
    const now = storedTimestamp();
    const t0 = performance.now();
    db.exec('BEGIN IMMEDIATE');
    const waited = performance.now() - t0;
    if (waited >= BUSY_WAIT_THRESHOLD_MS) {
      this.counters.busyWaits++;
      this.counters.lockWaitMs += waited;
    }
    try {
      writeGroupRecords(
        this.statements,
        group,
        outcomes,
        now,
        this.settings.sortGroupById,
        latestAcceptedTime(this.settings.maxClockSkewMs),
      );
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
    const commitMs = performance.now() - t0;
    const slowdown = this.settings.slowdownFactor ?? 1;
    if (slowdown > 1) {
      // Blocks this thread on purpose, as a slow disk would: batches pile up and senders must wait.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, (slowdown - 1) * commitMs);
    }
    this.commitLatency.record(commitMs);
    this.wal.markDirty();
    const c = this.counters;
    this.hooks.onOutcome?.({
      kind: 'outcome',
      ok: true,
      batches: group.length,
      rows: group.reduce((n, q) => n + q.rows, 0),
      commitMs,
    });
    countTransaction(c, group.length);
    group.forEach((q, owner) => {
      acknowledgeBatch(c, q, outcomes[owner]!, commitMs, this.log, this.conflictLog);
    });
    this.wal.checkpointIfOverdue();
  }

  private becameIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    if (!this.closed) this.wal.scheduleIdleCheckpoint(this.queue);
  }
}
