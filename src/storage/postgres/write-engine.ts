// The PostgreSQL writer's engine (runs inside the PostgreSQL writer thread): the same contract as the SQLite
// engine (group-commit-writer.ts), asynchronous because the server is across a socket. Batches that arrive
// while a transaction is in flight form the next group; each batch runs under its own SAVEPOINT (a bad row is
// found by bisection and rejected with its reason; the batch's other rows, cursor and gap commit), and every
// batch is acked only after COMMIT returned. A group the server cannot take now is nacked whole (the senders
// defer it to the spool) and its outcome reported, so the breaker sees the database's health.

import type pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelayMs } from '../../common/backoff.ts';
import { LatencyRecorder } from '../../common/latency-recorder.ts';
import { emptyBatchOriginFigures } from '../../protocol/flush-reason.ts';
import type { SerializedWriteError, WriteBatchMessage } from '../../protocol/messages.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, latestAcceptedTime, TRADE_FIELDS } from '../../trades/trade-validation.ts';
import { ConflictLog } from '../../writer/conflict-log.ts';
import {
  acknowledgeBatch,
  countTransaction,
  type QueuedBatch,
  type Reply,
  rowsOf,
  takeGroup,
} from '../../writer/group-accounting.ts';
import type { WriterHooks } from '../../writer/group-commit-writer.ts';
import { type BatchOutcome, batchValues, hasOwnCreatedAt } from '../sqlite/group-records.ts';
import { classifyPgError, type PgErrorClass, sqlStateOf } from './errors.ts';
import {
  type BatchContext,
  copyGroup,
  type GroupEntry,
  isBadRecord,
  noteConflicts,
  reasonOf,
  writeBatch,
  writeRecords,
} from './group-records.ts';
import { ENSURE_PLACEHOLDER_DEXES, ENSURE_POOLS } from './trade-statements.ts';

export interface PgWriterOptions {
  groupCommitMaxRows: number;
  /** Attempts of a group after a transient error (lock timeout, statement timeout, deadlock) before it is nacked. */
  lockRetries: number;
  /** Set when pools are shared through leases: cursor moves are fenced by this holder's lease epoch. */
  leaseHolder?: string | undefined;
  /**
   * 'copy': a group of trade-only batches of at least COPY_MIN_ROWS rows goes in by COPY into a temporary
   * table (pg-copy-trades.ts), falling back to 'unnest' when the server refuses a row; 'unnest': one prepared
   * INSERT … SELECT FROM unnest per batch, each under its own savepoint.
   */
  writePath?: 'copy' | 'unnest';
  /** A trade whose block time is further ahead of this clock (ms) is rejected; default DEFAULT_MAX_CLOCK_SKEW_MS. */
  maxClockSkewMs?: number;
}

type Attempt = { kind: 'ok' } | { kind: PgErrorClass; err: unknown };

/** Batches per transaction at most: enough to amortize the COMMIT, few enough that one group stays short. */
const MAX_GROUP_BATCHES = 64;

export class PgGroupCommitWriter {
  private readonly queue: QueuedBatch[] = [];
  private client: pg.Client | undefined;
  /** Set by the client's 'error' listener: the connection died while idle, drop it before the next group. */
  private broken = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Pool ids known to have a pools row (committed): their trades need no stub first. */
  private readonly knownPools = new Set<string>();
  readonly commitLatency = new LatencyRecorder();
  readonly counters = {
    transactions: 0,
    batchesCommitted: 0,
    batchesFailed: 0,
    batchesInTransactions: 0,
    tradeBatches: 0,
    tradeRows: 0,
    tradeBatchesByReason: emptyBatchOriginFigures(),
    rowsInserted: 0,
    duplicates: 0,
    rejected: 0,
    /** Transactions repeated after a transient error (lock or statement timeout, deadlock). */
    retries: 0,
    /** Groups that failed for a lock (lock_timeout, deadlock) after every retry. */
    lockErrors: 0,
    reconnects: 0,
    /** Cursor moves refused because this process no longer held the pool's lease. */
    fencedCursors: 0,
    /** Groups written by COPY. */
    copyGroups: 0,
    /** Groups written again with a savepoint per batch after the server refused a row. */
    carefulRetries: 0,
    /** Duplicates whose stored version had other contents (the first version kept). */
    conflicts: 0,
  };
  private readonly conflictLog: ConflictLog;

  private readonly batchContext: BatchContext;

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly options: PgWriterOptions,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {
    this.batchContext = {
      writePath: options.writePath,
      leaseHolder: options.leaseHolder,
      maxClockSkewMs: options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
      log,
      counters: this.counters,
    };
    this.conflictLog = new ConflictLog(log);
  }

  /** Conflicts per pool (the first pools seen). */
  get conflictsByPool(): ReadonlyMap<string, number> {
    return this.conflictLog.byPool;
  }

  get backlog(): number {
    return this.queue.length;
  }

  /** Adopts an open connection (the one the thread migrated with), so the first group needs no connect. */
  adopt(client: pg.Client): void {
    this.client = client;
    this.broken = false;
  }

  /** The connection's 'error' listener calls this: the next group reconnects. */
  connectionLost(err: Error): void {
    this.broken = true;
    this.log.warn({ err: err.message }, 'PostgreSQL connection lost; reconnecting before the next transaction');
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

  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.running && !this.retryTimer) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes what is queued, nacks anything newer, closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private schedule(): void {
    if (this.running || this.retryTimer) return;
    // setImmediate lets every message already delivered to the ports join this group.
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.pump());
  }

  private async pump(): Promise<void> {
    let attempt = 0;
    try {
      while (this.queue.length > 0) {
        if (this.hooks.gate && !this.hooks.gate.allowsWrites) {
          // The breaker is open: don't hammer a sick server; senders defer these batches durably.
          this.refuse(this.queue.splice(0), {
            code: 'CIRCUIT_OPEN',
            message: 'circuit breaker is open; batch not written',
          });
          break;
        }
        const group = takeGroup(this.queue, this.options.groupCommitMaxRows, MAX_GROUP_BATCHES);
        const result = await this.tryGroup(group);
        if (result.kind === 'ok') {
          attempt = 0;
          continue;
        }
        if (result.kind === 'retry' && attempt < this.options.lockRetries) {
          attempt++;
          this.counters.retries++;
          this.queue.unshift(...group);
          const delay = backoffDelayMs(attempt, { baseMs: 50, maxMs: 2000 });
          this.log.warn({ attempt, delayMs: Math.round(delay) }, 'transient PostgreSQL error; retrying the group');
          await new Promise<void>((resolve) => {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              resolve();
            }, delay);
          });
          continue;
        }
        attempt = 0;
        this.fail(group, result.err, result.kind);
      }
    } finally {
      this.running = undefined;
      if (this.queue.length > 0) this.schedule();
      else this.becameIdle();
    }
  }

  /** One attempt at the group: acked when 'ok'; otherwise nothing was committed and the caller retries or nacks. */
  private async tryGroup(group: QueuedBatch[]): Promise<Attempt> {
    const t0 = performance.now();
    let client: pg.Client;
    try {
      client = await this.connection();
    } catch (err) {
      return { kind: 'reconnect', err };
    }
    const latest = latestAcceptedTime(this.options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
    const entries: GroupEntry[] = group.map((q) => {
      const out: BatchOutcome = { inserted: 0, duplicates: 0, rejected: [] };
      const createdAt = hasOwnCreatedAt(q.batch) ? [] : undefined;
      const flat = batchValues(q.batch, out, latest, createdAt);
      return { q, out, flat, createdAt, serverRejects: 0, checked: out.rejected.length };
    });
    const newPools = this.unknownPools(entries);
    // Optimistic first: no savepoints (each costs a round trip per batch), as rows were checked already. A row
    // the server refuses anyway rolls the group back, and it is written again with a savepoint per batch.
    for (let careful = false; ; careful = true) {
      try {
        await this.writeGroup(client, entries, newPools, careful);
        break;
      } catch (err) {
        const kind = classifyPgError(err);
        if (!careful && isBadRecord(err) && kind !== 'reconnect') {
          this.counters.carefulRetries++;
          await client.query('ROLLBACK').catch(() => this.dropConnection());
          for (const e of entries) {
            e.out.inserted = 0;
            e.out.duplicates = 0;
            e.out.rejected.length = e.checked;
            delete e.out.conflicts;
            e.serverRejects = 0;
          }
          continue;
        }
        return this.abandon(client, err);
      }
    }
    for (const id of newPools) this.knownPools.add(id);
    this.acknowledge(entries, performance.now() - t0);
    return { kind: 'ok' };
  }

  private async writeGroup(c: pg.Client, entries: GroupEntry[], newPools: string[], careful: boolean): Promise<void> {
    await c.query('BEGIN');
    if (newPools.length > 0) {
      await c.query({ ...ENSURE_PLACEHOLDER_DEXES, values: [newPools] });
      await c.query({ ...ENSURE_POOLS, values: [newPools] });
    }
    if (careful || !(await copyGroup(this.batchContext, c, entries)))
      for (const e of entries) {
        if (careful) await writeBatch(this.batchContext, c, e);
        else await writeRecords(this.batchContext, c, e, false);
      }
    for (const e of entries) await noteConflicts(c, e);
    await c.query('COMMIT');
  }

  /** Nothing of the group is committed: drop or roll back, and say why. */
  private async abandon(client: pg.Client, err: unknown): Promise<Attempt> {
    {
      const kind = classifyPgError(err);
      // After a lost connection (or a COMMIT whose outcome is unknown) the client is dropped; a resend is
      // harmless: trades are keyed by id, gaps are unique, cursors only move forward.
      if (kind === 'reconnect') this.dropConnection();
      else await client.query('ROLLBACK').catch(() => this.dropConnection());
      return { kind, err };
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.dropConnection();
    const client = await this.connect();
    this.counters.reconnects++;
    this.client = client;
    this.broken = false;
    this.log.info('PostgreSQL writer connection (re)opened');
    return client;
  }

  private dropConnection(): void {
    const old = this.client;
    this.client = undefined;
    this.broken = false;
    void old?.end().catch(() => undefined);
  }

  /** Pool ids the group refers to that may have no pools row yet (trades would fail their foreign key). */
  private unknownPools(entries: GroupEntry[]): string[] {
    const found = new Set<string>();
    const note = (id: unknown) => {
      if (typeof id === 'string' && id !== '' && !this.knownPools.has(id)) found.add(id);
    };
    for (const e of entries) {
      for (let at = 1; at < e.flat.length; at += TRADE_FIELDS) note(e.flat[at]);
      for (const c of e.q.batch.cursors ?? []) note(c?.poolId);
      for (const g of e.q.batch.gaps ?? []) note(g?.poolId);
      // Pools the batch describes itself need no stub, but their dexes must come first: the batch does that.
      for (const p of e.q.batch.pools ?? []) if (typeof p?.id === 'string') found.delete(p.id);
    }
    return [...found];
  }

  private acknowledge(entries: GroupEntry[], commitMs: number): void {
    const c = this.counters;
    this.commitLatency.record(commitMs);
    const group = entries.map((e) => e.q);
    this.hooks.onOutcome?.({
      kind: 'outcome',
      ok: true,
      batches: group.length,
      rows: group.reduce((n, q) => n + q.rows, 0),
      commitMs,
    });
    countTransaction(c, group.length);
    for (const { q, out } of entries) acknowledgeBatch(c, q, out, commitMs, this.log, this.conflictLog);
  }

  private outcomeOf(group: QueuedBatch[], commitMs: number, err: unknown) {
    return {
      kind: 'outcome' as const,
      ok: false,
      batches: group.length,
      rows: group.reduce((n, q) => n + q.rows, 0),
      commitMs,
      error: this.serialize(err),
    };
  }

  private serialize(err: unknown): SerializedWriteError {
    const state = sqlStateOf(err);
    const kind = classifyPgError(err);
    return {
      code: kind === 'retry' && (state === '55P03' || state === '40P01') ? 'DATABASE_LOCKED' : 'WRITE_FAILED',
      ...(state ? { pgCode: state } : {}),
      message: `PostgreSQL: ${reasonOf(err)} (${kind})`,
    };
  }

  private fail(group: QueuedBatch[], err: unknown, kind: PgErrorClass): void {
    const error = this.serialize(err);
    this.counters.batchesFailed += group.length;
    if (error.code === 'DATABASE_LOCKED') this.counters.lockErrors++;
    this.log.error({ batches: group.length, kind, err: error.message }, 'group commit failed; batches nacked');
    this.hooks.onOutcome?.(this.outcomeOf(group, 0, err));
    this.refuse(group, error);
  }

  private refuse(group: QueuedBatch[], error: SerializedWriteError): void {
    for (const q of group) q.reply({ kind: 'nack', batchId: q.batch.batchId, error });
  }

  private becameIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
