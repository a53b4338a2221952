// The PostgreSQL writer's engine (runs inside the PostgreSQL writer thread): the same contract as the SQLite
// engine (group-commit-writer.ts), asynchronous because the server is across a socket. Batches that arrive
// while a transaction is in flight form the next group; each batch runs under its own SAVEPOINT (a bad row is
// found by bisection and rejected with its reason; the batch's other rows, cursor and gap commit), and every
// batch is acked only after COMMIT returned. A group the server cannot take now is nacked whole (the senders
// defer it to the spool) and its outcome reported, so the breaker sees the database's health.

import type pg from 'pg';
import type { Logger } from 'pino';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { classifyPgError, type PgErrorClass, sqlStateOf } from '../postgres/pg-errors.ts';
import {
  cursorValues,
  dexValues,
  ENSURE_POOLS,
  ENSURE_UNKNOWN_DEX,
  gapValues,
  INSERT_GAP,
  INSERT_TRADES,
  poolValues,
  tradeArrays,
  UPSERT_CURSOR,
  UPSERT_DEX,
  UPSERT_POOL,
} from '../postgres/pg-statements.ts';
import { emptyBatchOriginFigures, isFlushReason } from '../protocol/flush-reason.ts';
import type { SerializedWriteError, WriteBatchMessage } from '../protocol/messages.ts';
import { TRADE_FIELDS } from '../trades/trade-validation.ts';
import type { Reply, WriterHooks } from './group-commit-writer.ts';
import { type BatchOutcome, batchValues } from './group-records.ts';

export interface PgWriterOptions {
  groupCommitMaxRows: number;
  /** Attempts of a group after a transient error (lock timeout, statement timeout, deadlock) before it is nacked. */
  lockRetries: number;
  /** Set when pools are shared through leases: cursor moves are fenced by this holder's lease epoch. */
  leaseHolder?: string | undefined;
}

interface QueuedBatch {
  batch: WriteBatchMessage;
  reply: Reply;
  rows: number;
}

/** A batch of the group in flight: its valid trade rows (flat) and what the ack will say. */
interface GroupEntry {
  q: QueuedBatch;
  flat: unknown[];
  out: BatchOutcome;
  /** Trade rows of `flat` the server refused (found by bisection). */
  serverRejects: number;
}

type Attempt = { kind: 'ok' } | { kind: PgErrorClass; err: unknown };

/** Batches per transaction at most: enough to amortize the COMMIT, few enough that one group stays short. */
const MAX_GROUP_BATCHES = 64;

function isBadRecord(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || classifyPgError(err) === 'bad_row';
}

function reasonOf(err: unknown): string {
  const state = sqlStateOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return state ? `${message} [${state}]` : message;
}

function rowsOf(batch: WriteBatchMessage): number {
  return (
    (batch.trades?.length ?? 0) +
    (batch.packedTrades?.count ?? 0) +
    (batch.pools?.length ?? 0) +
    (batch.dexes?.length ?? 0) +
    (batch.cursors?.length ?? 0) +
    (batch.gaps?.length ?? 0)
  );
}

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
  };

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly options: PgWriterOptions,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {}

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
        const group = this.takeGroup();
        const result = await this.tryGroup(group);
        if (result.kind === 'ok') {
          attempt = 0;
          continue;
        }
        if (result.kind === 'retry' && attempt < this.options.lockRetries) {
          attempt++;
          this.counters.retries++;
          this.queue.unshift(...group);
          const delay = Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
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

  private takeGroup(): QueuedBatch[] {
    const group: QueuedBatch[] = [];
    let rows = 0;
    while (this.queue.length > 0 && group.length < MAX_GROUP_BATCHES) {
      const next = this.queue[0]!;
      if (group.length > 0 && rows + next.rows > this.options.groupCommitMaxRows) break;
      group.push(this.queue.shift()!);
      rows += next.rows;
    }
    return group;
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
    const entries: GroupEntry[] = group.map((q) => {
      const out: BatchOutcome = { inserted: 0, duplicates: 0, rejected: [] };
      return { q, out, flat: batchValues(q.batch, out), serverRejects: 0 };
    });
    const newPools = this.unknownPools(entries);
    try {
      await client.query('BEGIN');
      if (newPools.length > 0) {
        await client.query(ENSURE_UNKNOWN_DEX);
        await client.query({ ...ENSURE_POOLS, values: [newPools] });
      }
      for (const e of entries) await this.writeBatch(client, e);
      await client.query('COMMIT');
    } catch (err) {
      const kind = classifyPgError(err);
      // After a lost connection (or a COMMIT whose outcome is unknown) the client is dropped; a resend is
      // harmless: trades are keyed by id, gaps are unique, cursors only move forward.
      if (kind === 'reconnect') this.dropConnection();
      else await client.query('ROLLBACK').catch(() => this.dropConnection());
      return { kind, err };
    }
    for (const id of newPools) this.knownPools.add(id);
    this.acknowledge(entries, performance.now() - t0);
    return { kind: 'ok' };
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

  /** One batch under its own savepoint; a bad record rolls the batch back and it is written again record by record. */
  private async writeBatch(c: pg.Client, e: GroupEntry): Promise<void> {
    await c.query('SAVEPOINT batch');
    const rejectedBefore = e.out.rejected.length;
    try {
      await this.writeRecords(c, e, false);
    } catch (err) {
      if (!isBadRecord(err)) throw err;
      await c.query('ROLLBACK TO SAVEPOINT batch');
      e.out.inserted = 0;
      e.out.duplicates = 0;
      e.out.rejected.length = rejectedBefore;
      e.serverRejects = 0;
      await this.writeRecords(c, e, true);
    }
    await c.query('RELEASE SAVEPOINT batch');
  }

  private async writeRecords(c: pg.Client, e: GroupEntry, careful: boolean): Promise<void> {
    const { batch } = e.q;
    const one = careful
      ? (id: unknown, index: number, run: () => Promise<unknown>) => this.guarded(c, e.out, id, index, run)
      : (_id: unknown, _index: number, run: () => Promise<unknown>) => run();
    const dexes = batch.dexes ?? [];
    for (let i = 0; i < dexes.length; i++)
      await one(dexes[i]?.id, i, () => c.query({ ...UPSERT_DEX, values: dexValues(dexes[i]!) }));
    const pools = batch.pools ?? [];
    for (let i = 0; i < pools.length; i++)
      await one(pools[i]?.id, i, () => c.query({ ...UPSERT_POOL, values: poolValues(pools[i]!) }));
    const valid = e.flat.length / TRADE_FIELDS;
    if (valid > 0) {
      const offsets = Array.from({ length: valid }, (_, i) => i * TRADE_FIELDS);
      const inserted = careful ? await this.bisect(c, e, offsets) : await this.insertTrades(c, e.flat, offsets);
      e.out.inserted += inserted;
    }
    e.out.duplicates = Math.max(0, valid - e.out.inserted - e.serverRejects);
    const gaps = batch.gaps ?? [];
    for (let i = 0; i < gaps.length; i++)
      await one(gaps[i]?.poolId, i, () => c.query({ ...INSERT_GAP, values: gapValues(gaps[i]!) }));
    const cursors = batch.cursors ?? [];
    for (let i = 0; i < cursors.length; i++) {
      const cursor = cursors[i]!;
      await one(cursor?.poolId, i, async () => {
        const r = await c.query({ ...UPSERT_CURSOR, values: cursorValues(cursor, this.options.leaseHolder) });
        if (r.rowCount === 0) {
          this.counters.fencedCursors++;
          this.log.debug({ poolId: cursor.poolId, epoch: cursor.leaseEpoch }, 'cursor not moved: lease no longer held');
        }
      });
    }
  }

  private async insertTrades(c: pg.Client, flat: unknown[], offsets: number[]): Promise<number> {
    const r = await c.query({ ...INSERT_TRADES, values: tradeArrays(flat, offsets) });
    return r.rowCount ?? 0;
  }

  /** Inserts `offsets` under nested savepoints, halving around the rows the server refuses: O(bad × log n) statements. */
  private async bisect(c: pg.Client, e: GroupEntry, offsets: number[]): Promise<number> {
    await c.query('SAVEPOINT rows');
    try {
      const n = await this.insertTrades(c, e.flat, offsets);
      await c.query('RELEASE SAVEPOINT rows');
      return n;
    } catch (err) {
      if (!isBadRecord(err)) throw err;
      await c.query('ROLLBACK TO SAVEPOINT rows');
      await c.query('RELEASE SAVEPOINT rows');
      if (offsets.length === 1) {
        const at = offsets[0]!;
        e.out.rejected.push({ id: String(e.flat[at]), reason: reasonOf(err) });
        e.serverRejects++;
        return 0;
      }
      const mid = offsets.length >> 1;
      return (await this.bisect(c, e, offsets.slice(0, mid))) + (await this.bisect(c, e, offsets.slice(mid)));
    }
  }

  /** One non-trade record under its own savepoint: a bad one is rejected, the rest of the batch goes on. */
  private async guarded(
    c: pg.Client,
    out: BatchOutcome,
    id: unknown,
    index: number,
    run: () => Promise<unknown>,
  ): Promise<void> {
    await c.query('SAVEPOINT rec');
    try {
      await run();
    } catch (err) {
      if (!isBadRecord(err)) throw err;
      await c.query('ROLLBACK TO SAVEPOINT rec');
      out.rejected.push({ id: typeof id === 'string' ? id : `#${index}`, reason: reasonOf(err) });
    }
    await c.query('RELEASE SAVEPOINT rec');
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
    c.transactions++;
    c.batchesInTransactions += group.length;
    for (const { q, out } of entries) {
      c.batchesCommitted++;
      const tradeRows = q.batch.trades?.length ?? q.batch.packedTrades?.count ?? 0;
      if (tradeRows > 0) {
        c.tradeBatches++;
        c.tradeRows += tradeRows;
        const origin = c.tradeBatchesByReason[isFlushReason(q.batch.flushReason) ? q.batch.flushReason : 'unspecified'];
        origin.batches++;
        origin.rows += tradeRows;
      }
      c.rowsInserted += out.inserted;
      c.duplicates += out.duplicates;
      c.rejected += out.rejected.length;
      if (out.rejected.length)
        this.log.warn(
          { batchId: q.batch.batchId, rejected: out.rejected.slice(0, 5), count: out.rejected.length },
          'rows rejected',
        );
      q.reply({
        kind: 'ack',
        batchId: q.batch.batchId,
        inserted: out.inserted,
        duplicates: out.duplicates,
        rejected: out.rejected,
        commitMs,
      });
    }
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
