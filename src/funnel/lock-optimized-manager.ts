// LockOptimizedDatabaseManager: the main-thread façade of the write funnel. It supervises the writer thread
// (the only read-write connection), gates it with the circuit breaker, keeps what cannot be written now in
// the durable deferred queue and replays it, hands each collector its link, and reports the metrics.

import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { StoreOptions } from '../batch/trade-store.ts';
import { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import { UndoStack } from '../common/undo-stack.ts';
import { BATCH_PRESETS } from '../config/batch-config.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { StateError } from '../errors.ts';
import { componentLogger, logger as rootLogger } from '../logging/logger.ts';
import { AlertEvaluator } from '../monitoring/alert-evaluator.ts';
import { DurationHistogram } from '../monitoring/duration-histogram.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import type { AckMessage, WritePayload, WriterLink, WriterMetrics, WriterOpenInfo } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import { WriterClient } from '../sender/writer-client.ts';
import { DeferredQueue, type ReplayResult } from '../spool/deferred-queue.ts';
import type { SpoolGateway } from '../spool/spool-gateway.ts';
import type { CollectionReads } from '../storage/collection-reads.ts';
import type { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import type { ReaderPool } from '../storage/sqlite/reader-pool.ts';
import { DeferredReplay } from './deferred-replay.ts';
import { watchedSpoolGateway, wireFaultHandling } from './fault-wiring.ts';
import { funnelSnapshot } from './funnel-metrics.ts';
import type { FunnelContentionMetrics, FunnelStoreResult, LockOptimizedManagerOptions } from './manager-options.ts';
import type { StorageFailure, StorageWatch } from './storage-watch.ts';
import { lockStore, openCollectionReads } from './store-access.ts';
import { type ManagerInternals, TESTING } from './testing-hooks.ts';
import { WriterSupervisor } from './writer-supervisor.ts';

export type { FunnelContentionMetrics, FunnelStoreResult, LockOptimizedManagerOptions } from './manager-options.ts';

type State = 'new' | 'starting' | 'open' | 'closing' | 'closed';

export class LockOptimizedDatabaseManager {
  readonly config: DatabaseConfig;
  readonly settings: WriterSettings;
  readonly breaker: CircuitBreaker;
  private readonly log: Logger;
  private readonly options: LockOptimizedManagerOptions;
  private readonly supervisor: WriterSupervisor;
  private state: State = 'new';
  private queue: DeferredQueue | undefined;
  private gateway: SpoolGateway | undefined;
  private mainClient: WriterClient | undefined;
  /** Replays bypass the gate and the spool: a failed replay must leave the batch where it is. */
  private replayClient: WriterClient | undefined;
  private readers: ReaderPool | undefined;
  private collectionReads: CollectionReads | undefined;
  /**
   * Held from initialize() to the end of close(). SQLite: the database's lock (no other funnel writes this
   * file meanwhile). PostgreSQL: the spool's lock (processes share the server through leases, never a spool).
   */
  private lock: DatabaseLock | undefined;
  private spoolPath: string | undefined;
  private openInfo: WriterOpenInfo | undefined;
  private replay: DeferredReplay | undefined;
  private alertTimer: NodeJS.Timeout | undefined;
  private readonly alerts: AlertEvaluator;
  /** Decides when storage failed for good (database file gone, spool unable to keep batches). */
  private watch: StorageWatch | undefined;
  /** Every committed transaction's duration, from the writer's outcomes. */
  private readonly commitSeconds = new DurationHistogram();
  /** What close() left in the spool (what the next start replays); undefined before close. */
  leftInSpool: { batches: number; rows: number } | undefined;

  constructor(config: Partial<DatabaseConfig> = {}, options: LockOptimizedManagerOptions = {}) {
    this.config = resolveDatabaseConfig(config);
    this.settings = {
      ...writerSettingsFrom(this.config),
      ...(options[TESTING]?.writerSlowdown ? { slowdownFactor: options[TESTING].writerSlowdown } : {}),
    };
    this.options = options;
    this.log = (options.logger?.child({ component: 'db-manager' }) ?? componentLogger('db-manager')).child({
      manager: 'funnel',
    });
    this.breaker = new CircuitBreaker({
      name: 'writer',
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.breaker,
    });
    this.alerts = new AlertEvaluator(options.alerts, { logger: this.log.child({ component: 'alerts' }) });
    this.supervisor = new WriterSupervisor(
      this.settings,
      { threadLogger: options.logger ?? rootLogger, ...options.supervisor, gate: this.breaker.sharedState },
      this.log.child({ component: 'writer-supervisor' }),
    );
  }

  get info(): WriterOpenInfo | undefined {
    return this.openInfo;
  }

  /**
   * Starts the writer thread (SQLite settings, migrations), opens the deferred queue and replays whatever a
   * previous run left in it (e.g. after a crash). Idempotent.
   */
  async initialize(): Promise<WriterOpenInfo> {
    if (this.state === 'open' && this.openInfo) return this.openInfo;
    if (this.state !== 'new') throw new StateError(`cannot initialize a manager that is ${this.state}`);
    this.state = 'starting';
    // Whatever start-up took before a step failed is let go of in reverse order: a failed start leaves no
    // writer thread, timer, spool or lock behind, so the next initialize() in this process can take them.
    const undo = new UndoStack();
    try {
      const { lock, spool: spoolPath } = lockStore(this.settings, this.options.deferred?.path);
      this.lock = undo.push(lock, (l) => l.release());
      this.spoolPath = spoolPath;
      this.openInfo = await this.supervisor.start();
      undo.push(this.supervisor, (s) => s.stop());
      const queue = DeferredQueue.open(spoolPath, {
        logger: this.log.child({ component: 'deferred-queue' }),
        ...this.options.deferred,
      });
      this.queue = undo.push(queue, (q) => q.close());
      const { watch, gateway } = watchedSpoolGateway(
        this.settings.postgres ? undefined : this.settings.path,
        spoolPath,
        queue,
        this.breaker,
        this.log,
      );
      this.watch = undo.push(watch, (w) => w.dispose());
      this.gateway = undo.push(gateway, (g) => g.close());
      this.mainClient = new WriterClient(await this.supervisor.connect(), {
        maxInFlight: this.config.maxInFlight,
        manager: gateway.open(),
        gate: this.breaker.sharedState,
      });
      undo.push(this.mainClient, (c) => c.close());
      this.replayClient = new WriterClient(await this.supervisor.connect(), { maxInFlight: 1 });
      undo.push(this.replayClient, (c) => c.close());
      const reads = await openCollectionReads(this.settings, this.config, this.log);
      this.collectionReads = undo.push(reads.reads, (r) => r.close());
      this.readers = reads.readers;
      const replay = new DeferredReplay(
        queue,
        () => this.replayClient!,
        this.breaker,
        () => this.gateway?.firstSeq,
        this.log,
      );
      this.replay = undo.push(replay, (r) => r.stop());
      wireFaultHandling({
        supervisor: this.supervisor,
        breaker: this.breaker,
        watch,
        commitSeconds: this.commitSeconds,
        replay: (max) => this.replayDeferred(max),
        spooled: () => queue.depth().batches,
        afterRestart: () => this.afterRestart(),
        log: this.log,
      });
      undo.push(this.breaker, (b) => b.dispose());
      this.state = 'open';
      const pending = queue.depth();
      if (pending.batches > 0) {
        this.log.warn({ batches: pending.batches, rows: pending.rows }, 'replaying batches deferred by an earlier run');
        await this.replayDeferred();
      }
      replay.startTimer(this.options.replayIntervalMs ?? 2000);
    } catch (err) {
      this.state = 'closed';
      await undo.unwind((e) => this.log.warn({ err: e }, 'releasing what a failed start had taken failed'));
      throw err;
    }
    undo.clear();
    this.alertTimer = setInterval(() => {
      this.getLockContentionMetrics().catch((err) => this.log.debug({ err }, 'alert evaluation skipped'));
    }, this.options.alertIntervalMs ?? 5000);
    this.alertTimer.unref();
    this.log.info({ path: this.settings.path, ...this.openInfo }, 'write funnel ready');
    return this.openInfo;
  }

  private async afterRestart(): Promise<void> {
    try {
      await this.gateway!.reconnectAll(() => this.supervisor.connect());
      await this.replayClient?.close().catch(() => undefined);
      this.replayClient = new WriterClient(await this.supervisor.connect(), { maxInFlight: 1 });
      await this.replayDeferred();
    } catch (err) {
      this.log.error({ err }, 'reconnecting after a writer restart failed');
    }
  }

  /** Writes deferred batches back through the writer, oldest first; stops at the first one that fails. */
  replayDeferred(maxBatches?: number): Promise<ReplayResult | undefined> {
    if (!this.replay || this.state !== 'open') return Promise.resolve(undefined);
    return this.replay.run(maxBatches);
  }

  /** Batches replayed from the spool so far. */
  get replayedTotal(): number {
    return this.replay?.replayed ?? 0;
  }

  /**
   * Trades inserted when batches this manager deferred were replayed: their senders were told "deferred", not
   * "inserted", so a run's stored figure adds these.
   */
  get storedOnReplay(): number {
    return this.replay?.storedOfThisRun ?? 0;
  }

  /** Set once storage failed for good (see StorageWatch): the run must stop; nothing more is written. */
  get storageFailure(): StorageFailure | undefined {
    return this.watch?.failure;
  }

  /** `listener` is called once if storage fails for good. */
  onStorageFailure(listener: (f: StorageFailure) => void): void {
    this.requireOpen(this.watch).onFailure(listener);
  }

  /** Trades in batches given up because storage failed for good: fetched, not kept anywhere. */
  get tradesLost(): number {
    return this.gateway?.lostRows ?? 0;
  }

  /** Resolves when the replay running now (if any) has ended. */
  async replaySettled(): Promise<void> {
    await this.replay?.settled();
  }

  /** A link for one collector thread: post it with `transferList: linkTransferList(link)`. */
  async linkForWorker(): Promise<WriterLink> {
    const gateway = this.requireOpen(this.gateway);
    return { port: await this.supervisor.connect(), manager: gateway.open(), gate: this.breaker.sharedState };
  }

  /** A bare data port to the writer (no deferral, no reconnect): for tools that handle failures themselves. */
  connect(): Promise<MessagePort> {
    this.requireOpen(this.gateway);
    return this.supervisor.connect();
  }

  /**
   * Main-thread store through the funnel (the Python collector's `store_trade_data_optimized`). While the breaker is
   * open it rejects with CircuitBreakerError (the batch processor's fallback then defers the batch).
   */
  async storeTradeDataOptimized(trades: readonly TradeRecord[], options?: StoreOptions): Promise<FunnelStoreResult> {
    const client = this.requireOpen(this.mainClient);
    if (this.breaker.state === 'OPEN' || this.breaker.state === 'ISOLATED') throw this.breaker.rejectionError();
    const ack = await client.storeTrades(trades, options);
    return {
      inserted: ack.inserted,
      duplicates: ack.duplicates,
      rejected: ack.rejected,
      deferred: ack.deferred === true,
    };
  }

  /** Any mix of trades, pools, dexes, cursors and gaps, committed atomically (or deferred whole). */
  write(payload: WritePayload): Promise<AckMessage> {
    return this.requireOpen(this.mainClient).write(payload);
  }

  /** Puts a batch straight into the durable deferred queue (resolves once it is on disk). */
  async defer(payload: WritePayload): Promise<number> {
    const queue = this.requireOpen(this.queue);
    const seq = await queue.defer(payload);
    this.breaker.noteDeferred(1);
    return seq;
  }

  deferTrades(trades: readonly TradeRecord[]): Promise<number> {
    return this.defer({ trades: [...trades] });
  }

  /** The store-neutral reads of a collection run (cursors, stored ids), on read-only connections. */
  reads(): CollectionReads {
    return this.requireOpen(this.collectionReads);
  }

  /** PostgreSQL: the id this process holds pool leases under (and that fences its cursor moves). */
  get leaseHolder(): string | undefined {
    return this.settings.postgres?.leaseHolder;
  }

  /** Where this manager's deferred queue keeps its spool. */
  get spoolFile(): string | undefined {
    return this.spoolPath;
  }

  async getWriterMetrics(): Promise<WriterMetrics> {
    this.requireOpen(this.mainClient);
    return this.supervisor.call((r) => r.getMetrics());
  }

  deferredDepth(): ReturnType<DeferredQueue['depth']> {
    return this.requireOpen(this.queue).depth();
  }

  get writerRestarts(): { restarts: number; lastRestartAt: number | null } {
    return { restarts: this.supervisor.restarts, lastRestartAt: this.supervisor.lastRestartAt };
  }

  /** The fault drills' way in (gecko-collector/testing). */
  [TESTING](): ManagerInternals {
    return {
      supervisor: this.supervisor,
      read: (fn) => {
        if (this.settings.postgres) throw new StateError('an SQLite read on a PostgreSQL store');
        return this.requireOpen(this.readers).read(fn);
      },
    };
  }

  /** Lock figures plus breaker, deferred queue, writer restarts and batch fill, with the alerts they raise. */
  async getLockContentionMetrics(): Promise<FunnelContentionMetrics> {
    const snapshot = await this.getMetricsSnapshot();
    const { lock, at: _at, ...rest } = snapshot;
    return { ...lock, ...rest };
  }

  /** Everything an operator watches, evaluated against the alert thresholds (used by /metrics and doctor). */
  async getMetricsSnapshot(): Promise<CollectorMetricsSnapshot> {
    const base = funnelSnapshot({
      writer: await this.getWriterMetrics(),
      queryLatencyMs: await this.reads().queryLatencyMs(),
      maxBatchSize: this.options.maxBatchSize ?? BATCH_PRESETS.production.maxBatchSize,
      breaker: this.breaker.getStats(),
      deferred: {
        ...this.requireOpen(this.queue).depth(),
        deferredTotal: this.gateway?.deferredTotal ?? 0,
        replayedTotal: this.replayedTotal,
      },
      restarts: this.supervisor.restarts,
      lastRestartAt: this.supervisor.lastRestartAt,
      checkpoints: this.supervisor.checkpointing.checkpoints,
      walPages: this.supervisor.checkpointing.walPages,
      commitSeconds: this.commitSeconds.figures(),
    });
    return { ...base, alerts: this.alerts.evaluate(base) };
  }

  /**
   * Resolves after every batch posted so far is committed and acked (or, if the database cannot take it,
   * durably deferred for the next run); then stops the writer and closes every handle.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    if (this.state === 'closing') throw new StateError('close() already in progress');
    this.state = 'closing';
    clearInterval(this.alertTimer);
    this.watch?.dispose();
    try {
      await this.supervisor.whenRunning();
      await this.mainClient?.settled();
      // Closing does not wait for a long spool to drain: what is left is durable and replayed at the next start.
      await this.replay?.stop();
      const left = this.queue?.depth();
      if (left && left.batches > 0)
        this.log.warn(
          { batches: left.batches, rows: left.rows },
          'deferred batches stay in the spool; the next start replays them',
        );
      await this.gateway?.idle();
      // Readers close first so the writer's read-write connection is the last one: only it can checkpoint
      // and remove the -wal/-shm files on close (a read-only connection closing last leaves them behind).
      await this.collectionReads?.close();
      this.collectionReads = undefined;
      await this.supervisor.stop();
      await this.gateway?.idle();
    } finally {
      await this.mainClient?.close().catch(() => undefined);
      await this.replayClient?.close().catch(() => undefined);
      this.gateway?.close();
      const kept = this.queue?.depth();
      if (kept) this.leftInSpool = { batches: kept.batches, rows: kept.rows };
      // Under the database lock nobody else writes the default spool, so a drained one can go.
      await this.queue?.close({ removeIfEmpty: this.options.deferred?.path === undefined });
      await this.collectionReads?.close().catch(() => undefined);
      this.readers?.close();
      this.breaker.dispose();
      // Last: until here this manager may still write (the writer's final commit, the spool).
      this.lock?.release();
      this.state = 'closed';
    }
  }

  private requireOpen<T>(part: T | undefined): T {
    if (part === undefined || this.state !== 'open')
      throw new StateError(`manager is ${this.state}; call initialize() first`);
    return part;
  }
}
