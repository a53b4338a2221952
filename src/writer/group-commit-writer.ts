// The writer's engine (runs inside the writer thread): queues incoming batches, commits whatever is waiting
// in one BEGIN IMMEDIATE transaction (group commit), and replies to each batch only after COMMIT returned.

import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { isLockError, isRowLevelError, sqliteCodeOf } from '../errors.ts';
import { emptyBatchOriginFigures, isFlushReason } from '../protocol/flush-reason.ts';
import type {
  RejectedRow,
  SerializedWriteError,
  TransactionOutcome,
  WriteBatchMessage,
  WriterToCollector,
} from '../protocol/messages.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import {
  appendTradeBindValues,
  CREATED_AT_PARAM,
  eachRecord,
  MULTI_ROW_CHUNK,
  storedTimestamp,
  storePoolMetadata,
  type WriteStatements,
} from '../sqlite/trade-statements.ts';
import { fastPathValues } from '../trades/packed-batch-check.ts';
import { PackedBatchError, unpackTradeValues } from '../trades/trade-packing.ts';
import { checkTradeValuesAt, TRADE_FIELDS, validateTrade } from '../trades/trade-validation.ts';

export type Reply = (message: WriterToCollector) => void;

export interface WriterHooks {
  /** The breaker's gate: while it does not allow writes, queued batches are nacked CIRCUIT_OPEN, not tried. */
  gate?: { readonly allowsWrites: boolean };
  /** Called after every transaction attempt that ends (commit, or failure after retries). */
  onOutcome?: (outcome: TransactionOutcome) => void;
}

interface QueuedBatch {
  batch: WriteBatchMessage;
  reply: Reply;
  rows: number;
}

/** A group's valid trade rows: per batch (owner) a flat value array; per row its owner and offset; the insert order. */
interface GroupRows {
  values: unknown[][];
  owners: Uint32Array;
  offsets: Uint32Array;
  order: number[];
}

interface BatchOutcome {
  inserted: number;
  duplicates: number;
  rejected: RejectedRow[];
}

const BUSY_WAIT_THRESHOLD_MS = 2;
const IDLE_CHECKPOINT_AFTER_MS = 250;
const FORCED_CHECKPOINT_EVERY_MS = 5000;

export class GroupCommitWriter {
  private readonly queue: QueuedBatch[] = [];
  private readonly statements: WriteStatements;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lockAttempts = 0;
  private idleWaiters: (() => void)[] = [];
  private lastCheckpointAt = Date.now();
  private dirtySinceCheckpoint = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private closed = false;
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
    >,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {
    this.statements = statements;
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
    const rows =
      (batch.trades?.length ?? 0) +
      (batch.packedTrades?.count ?? 0) +
      (batch.pools?.length ?? 0) +
      (batch.dexes?.length ?? 0) +
      (batch.cursors?.length ?? 0) +
      (batch.gaps?.length ?? 0);
    this.queue.push({ batch, reply, rows });
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
    clearTimeout(this.checkpointTimer);
    if (this.dirtySinceCheckpoint && this.settings.pragmas === 'optimized') this.checkpoint('PASSIVE');
  }

  checkpoint(mode: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE'): { busy: number; log: number; checkpointed: number } {
    const [res] = this.db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[];
    this.counters.checkpoints++;
    this.lastCheckpointAt = Date.now();
    this.dirtySinceCheckpoint = false;
    const out = res ?? { busy: 0, log: 0, checkpointed: 0 };
    this.counters.walPages = Math.max(0, out.log - out.checkpointed);
    return out;
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

  private takeGroup(): QueuedBatch[] {
    const group: QueuedBatch[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (group.length > 0 && rows + next.rows > this.settings.groupCommitMaxRows) break;
      group.push(this.queue.shift()!);
      rows += next.rows;
    }
    return group;
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
    const group = this.takeGroup();
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
          const delay = Math.min(1000, 25 * 2 ** this.lockAttempts) * (0.5 + Math.random() / 2);
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
      const rows = this.validGroupRows(group, outcomes);
      this.insertRows(rows, outcomes, now);
      group.forEach((q, owner) => this.applyOtherRecords(q.batch, outcomes[owner]!, now));
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
    this.dirtySinceCheckpoint = true;
    const c = this.counters;
    this.hooks.onOutcome?.({
      kind: 'outcome',
      ok: true,
      batches: group.length,
      rows: group.reduce((n, q) => n + q.rows, 0),
      commitMs,
    });
    c.transactions++;
    c.batchesInTransactions += group.length;
    group.forEach((q, owner) => {
      const o = outcomes[owner]!;
      c.batchesCommitted++;
      const tradeRows = q.batch.trades?.length ?? q.batch.packedTrades?.count ?? 0;
      if (tradeRows > 0) {
        c.tradeBatches++;
        c.tradeRows += tradeRows;
        // The reason comes from another thread's message: anything unknown is filed as unspecified.
        const origin = c.tradeBatchesByReason[isFlushReason(q.batch.flushReason) ? q.batch.flushReason : 'unspecified'];
        origin.batches++;
        origin.rows += tradeRows;
      }
      c.rowsInserted += o.inserted;
      c.duplicates += o.duplicates;
      c.rejected += o.rejected.length;
      if (o.rejected.length)
        this.log.warn(
          { batchId: q.batch.batchId, rejected: o.rejected.slice(0, 5), count: o.rejected.length },
          'rows rejected',
        );
      q.reply({
        kind: 'ack',
        batchId: q.batch.batchId,
        inserted: o.inserted,
        duplicates: o.duplicates,
        rejected: o.rejected,
        commitMs,
      });
    });
    if (this.checkpointsHere() && Date.now() - this.lastCheckpointAt > FORCED_CHECKPOINT_EVERY_MS) {
      // Under sustained load the writer is never idle; bound the WAL anyway.
      this.checkpoint('PASSIVE');
    }
  }

  /**
   * Every batch's trades as one flat array of bind-ready values (TRADE_FIELDS per valid row, validated in
   * place), and the insert order over all of them: by id when sortGroupById, else batch by batch.
   */
  private validGroupRows(group: QueuedBatch[], outcomes: BatchOutcome[]): GroupRows {
    const values: unknown[][] = [];
    let total = 0;
    group.forEach((q, owner) => {
      const flat = this.batchValues(q.batch, outcomes[owner]!);
      values.push(flat);
      total += flat.length / TRADE_FIELDS;
    });
    // 32 bits: batches without trades add no rows, so a group's batch count is not bounded by its row limit.
    const owners = new Uint32Array(total);
    const offsets = new Uint32Array(total);
    for (let owner = 0, g = 0; owner < values.length; owner++) {
      for (let at = 0; at < values[owner]!.length; at += TRADE_FIELDS, g++) {
        owners[g] = owner;
        offsets[g] = at;
      }
    }
    const order: number[] = new Array(total);
    for (let g = 0; g < total; g++) order[g] = g;
    if (this.settings.sortGroupById && total > 1) {
      // Inserting in key order avoids B-tree page splits in the middle of the table.
      const ids: string[] = new Array(total);
      for (let g = 0; g < total; g++) ids[g] = values[owners[g]!]![offsets[g]!] as string;
      order.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
    }
    return { values, owners, offsets, order };
  }

  /**
   * One batch's valid trades, flat. A packed batch whose rows all pass the one-regex check is taken whole
   * (packed-batch-check.ts); any other batch is validated row by row, in place, bad rows going to its rejected list.
   */
  private batchValues(batch: WriteBatchMessage, out: BatchOutcome): unknown[] {
    let flat: unknown[];
    if (batch.packedTrades) {
      const fast = fastPathValues(batch.packedTrades.data, batch.packedTrades.count);
      if (fast) return fast;
      try {
        flat = unpackTradeValues(batch.packedTrades.data, batch.packedTrades.count);
      } catch (err) {
        if (!(err instanceof PackedBatchError)) throw err;
        for (let i = 0; i < batch.packedTrades.count; i++) out.rejected.push({ id: `#${i}`, reason: err.message });
        return [];
      }
    } else if (batch.trades) {
      flat = [];
      for (let i = 0; i < batch.trades.length; i++) {
        const v = validateTrade(batch.trades[i], i);
        // Already checked: push the row's values; a bad one keeps its reason and is skipped below.
        if (v.ok) for (const x of v.row) flat.push(x);
        else out.rejected.push({ id: v.id, reason: v.reason });
      }
      return flat;
    } else {
      return [];
    }
    let w = 0;
    for (let at = 0, i = 0; at < flat.length; at += TRADE_FIELDS, i++) {
      const bad = checkTradeValuesAt(flat, at, i);
      if (bad) {
        out.rejected.push(bad);
        continue;
      }
      if (w !== at) for (let f = 0; f < TRADE_FIELDS; f++) flat[w + f] = flat[at + f];
      w += TRADE_FIELDS;
    }
    flat.length = w;
    return flat;
  }

  /**
   * Inserts runs of rows that belong to the same batch with one multi-row statement each, so `changes` still
   * tells that batch's inserted count. A run that hits a row-level error is redone row by row to find the row.
   */
  private insertRows(rows: GroupRows, outcomes: BatchOutcome[], now: string): void {
    const s = this.statements;
    const flavor = s.flavor;
    const { values, owners, offsets, order } = rows;
    const named = { [CREATED_AT_PARAM]: now };
    // In arrival order a run's values are one stretch of its batch's array: bind a copy of that stretch as is.
    const asStored = !this.settings.sortGroupById && flavor === 'text-decimals';
    for (let i = 0; i < order.length; ) {
      const owner = owners[order[i]!]!;
      let j = i + 1;
      while (j < order.length && j - i < MULTI_ROW_CHUNK && owners[order[j]!] === owner) j++;
      const out = outcomes[owner]!;
      const flat = values[owner]!;
      let params: unknown[];
      if (asStored) {
        params = flat.slice(offsets[order[i]!]!, offsets[order[j - 1]!]! + TRADE_FIELDS);
      } else {
        params = [];
        for (let k = i; k < j; k++) appendTradeBindValues(params, flavor, flat, offsets[order[k]!]!);
      }
      try {
        const changes = s.insertTrades(j - i).run(params, named).changes;
        out.inserted += changes;
        out.duplicates += j - i - changes;
      } catch (err) {
        if (!isRowLevelError(err)) throw err;
        for (let k = i; k < j; k++) {
          const at = offsets[order[k]!]!;
          const one: unknown[] = [];
          appendTradeBindValues(one, flavor, flat, at);
          try {
            if (s.insertTrade.run(one, named).changes === 1) out.inserted++;
            else out.duplicates++;
          } catch (e) {
            if (!isRowLevelError(e)) throw e;
            out.rejected.push({ id: flat[at] as string, reason: e instanceof Error ? e.message : String(e) });
          }
        }
      }
      i = j;
    }
  }

  private applyOtherRecords(batch: WriteBatchMessage, out: BatchOutcome, now: string): void {
    const s = this.statements;
    storePoolMetadata(s, batch, now, out.rejected);
    eachRecord(
      batch.gaps,
      (g) => g?.poolId,
      (g) => s.insertGap(g),
      out.rejected,
    );
    eachRecord(
      batch.cursors,
      (c) => c?.poolId,
      (c) => s.upsertCursor(c, now),
      out.rejected,
    );
  }

  /** Without a checkpointer thread the writer must keep the WAL bounded itself. */
  private checkpointsHere(): boolean {
    return this.settings.pragmas === 'optimized' && !(this.settings.checkpointIntervalMs > 0);
  }

  private becameIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    if (this.dirtySinceCheckpoint && !this.checkpointTimer && this.checkpointsHere() && !this.closed) {
      // Checkpoint when the writer has nothing else to do, off the commit path.
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = undefined;
        if (this.queue.length === 0 && this.dirtySinceCheckpoint) {
          try {
            this.checkpoint('PASSIVE');
          } catch (err) {
            this.log.warn({ err }, 'idle checkpoint failed');
          }
        }
      }, IDLE_CHECKPOINT_AFTER_MS);
      this.checkpointTimer.unref();
    }
  }
}
