// LockOptimizedDatabaseManager: the main-thread façade of the write funnel. It starts the writer thread
// (the only read-write connection), hands each collector its own data port, and reports lock metrics.

import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Logger } from 'pino';
import { resolveDatabaseConfig, writerSettingsFrom, type DatabaseConfig } from '../config/database-config.ts';
import type { WriterSettings } from '../config/writer-settings.ts';
import { StateError, WriterUnavailableError } from '../errors.ts';
import { componentLogger } from '../logging/logger.ts';
import { spawnWorker } from '../threads/spawn-worker.ts';
import type { AckMessage, WriterControl, WriterMetrics, WriterOpenInfo } from '../thread-messages.ts';
import type { TradeRecord } from '../trade-record.ts';
import type { LockContentionMetrics } from './lock-contention-metrics.ts';
import { ReaderPool } from './reader-pool.ts';
import type { StoreResult, TradeStore } from './trade-store.ts';
import { WriterClient, type WritePayload } from './writer-client.ts';
import type { WriterLink } from './writer-link.ts';
import type Database from 'better-sqlite3';

const WRITER_ENTRY = new URL('../../workers/writer.ts', import.meta.url);

type State = 'new' | 'starting' | 'open' | 'closing' | 'closed';

export interface LockOptimizedManagerOptions {
  logger?: Logger;
}

export class LockOptimizedDatabaseManager implements TradeStore {
  readonly config: DatabaseConfig;
  readonly settings: WriterSettings;
  private readonly log: Logger;
  private state: State = 'new';
  private worker: Worker | undefined;
  private remote: Comlink.Remote<WriterControl> | undefined;
  private mainClient: WriterClient | undefined;
  private readers: ReaderPool | undefined;
  private openInfo: WriterOpenInfo | undefined;
  private writerError: Error | undefined;

  constructor(config: Partial<DatabaseConfig> = {}, options: LockOptimizedManagerOptions = {}) {
    this.config = resolveDatabaseConfig(config);
    this.settings = writerSettingsFrom(this.config);
    this.log = (options.logger ?? componentLogger('db-manager')).child({ manager: 'funnel' });
  }

  get info(): WriterOpenInfo | undefined {
    return this.openInfo;
  }

  /** Starts the writer thread, applies the SQLite settings and migrations. Idempotent. */
  async initialize(): Promise<WriterOpenInfo> {
    if (this.state === 'open' && this.openInfo) return this.openInfo;
    if (this.state !== 'new') throw new StateError(`cannot initialize a manager that is ${this.state}`);
    this.state = 'starting';
    const worker = spawnWorker(WRITER_ENTRY);
    this.worker = worker;
    worker.on('error', (err) => {
      this.writerError = err;
      this.log.error({ err }, 'writer thread crashed');
    });
    worker.on('exit', (code) => {
      if (this.state !== 'closing' && this.state !== 'closed') this.log.error({ code }, 'writer thread exited unexpectedly');
    });
    this.remote = Comlink.wrap<WriterControl>(nodeEndpoint(worker));
    try {
      this.openInfo = await this.raceWriterExit(this.remote.open(this.settings));
    } catch (err) {
      this.state = 'closed';
      this.remote[Comlink.releaseProxy]();
      await worker.terminate();
      throw err;
    }
    this.mainClient = new WriterClient(await this.connect(), { maxInFlight: this.config.maxInFlight });
    this.readers = new ReaderPool(this.settings, this.config.poolSize, this.config.maxOverflow, this.log);
    this.state = 'open';
    this.log.info({ path: this.settings.path, ...this.openInfo }, 'write funnel ready');
    return this.openInfo;
  }

  /** A new data port to the writer, to transfer to one collector thread (wrap it in a WriterClient there). */
  async connect(): Promise<MessagePort> {
    const remote = this.requireRemote();
    const { port1, port2 } = new MessageChannel();
    await this.raceWriterExit(remote.attach(Comlink.transfer(port2, [port2]) as unknown as MessagePort));
    return port1;
  }

  /** A link for one collector thread: post it with `transferList: linkTransferList(link)`. */
  async linkForWorker(): Promise<WriterLink> {
    return { port: await this.connect() };
  }

  /** Main-thread store through the funnel (the guide's `store_trade_data_optimized`). */
  async storeTradeDataOptimized(trades: readonly TradeRecord[]): Promise<StoreResult> {
    const ack = await this.requireClient().storeTrades(trades);
    return { inserted: ack.inserted, duplicates: ack.duplicates, rejected: ack.rejected };
  }

  storeTrades(trades: readonly TradeRecord[]): Promise<StoreResult> {
    return this.storeTradeDataOptimized(trades);
  }

  /** Any mix of trades, pools, dexes, cursors and gaps, committed atomically. */
  write(payload: WritePayload): Promise<AckMessage> {
    return this.requireClient().write(payload);
  }

  /** Runs `fn` on a read-only connection (WAL: does not block the writer). */
  read<T>(fn: (db: Database.Database) => T): Promise<T> {
    if (!this.readers || this.state !== 'open') throw new StateError('manager is not open');
    return this.readers.read(fn);
  }

  async getWriterMetrics(): Promise<WriterMetrics> {
    return this.requireRemote().getMetrics();
  }

  async getLockContentionMetrics(): Promise<LockContentionMetrics> {
    const m = await this.requireRemote().getMetrics();
    const queryLatencyMs = await this.read((db) => {
      const t0 = performance.now();
      db.prepare('SELECT 1').get();
      return performance.now() - t0;
    });
    return {
      manager: 'funnel',
      journalMode: m.journalMode,
      synchronous: m.synchronous,
      busyTimeoutMs: m.busyTimeoutMs,
      cacheSize: m.cacheSize,
      queryLatencyMs,
      busyRetries: m.busyRetries,
      lockErrors: m.lockErrors,
      busyWaits: m.busyWaits,
      operations: m.transactions,
      rowsInserted: m.rowsInserted,
      duplicates: m.duplicates,
      rejected: m.rejected,
      writeLatencyMs: m.commitMs,
      writerBacklog: m.backlogBatches,
    };
  }

  /** Resolves after every batch posted so far (by any port) is committed and acked; then stops the writer. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    if (this.state === 'closing') throw new StateError('close() already in progress');
    this.state = 'closing';
    const worker = this.worker!;
    const remote = this.remote!;
    try {
      await this.mainClient?.settled();
      await this.raceWriterExit(remote.close());
    } finally {
      this.mainClient?.close().catch(() => undefined);
      this.readers?.close();
      remote[Comlink.releaseProxy]();
      // The writer has committed everything and closed its database handle and data ports; comlink does not
      // close Node ports on release, so ending the thread is what frees the control channel.
      await worker.terminate();
      this.state = 'closed';
    }
  }

  private requireRemote(): Comlink.Remote<WriterControl> {
    if (!this.remote || (this.state !== 'open' && this.state !== 'starting')) throw new StateError(`manager is ${this.state}; call initialize() first`);
    return this.remote;
  }

  private requireClient(): WriterClient {
    if (!this.mainClient || this.state !== 'open') throw new StateError(`manager is ${this.state}; call initialize() first`);
    return this.mainClient;
  }

  /** A comlink call never settles if the writer thread dies; turn that into a clear error. */
  private async raceWriterExit<T>(call: Promise<T>): Promise<T> {
    const worker = this.worker!;
    let onExit: (() => void) | undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = () => reject(this.writerError ?? new WriterUnavailableError('writer thread exited'));
      worker.once('exit', onExit);
    });
    try {
      return await Promise.race([call, exited]);
    } finally {
      worker.off('exit', onExit!);
    }
  }
}
