// A whole collection as a library call: opens the database (funnel or direct), picks the pools, reads their
// cursors, runs N collector threads under piscina until stopped, drains the writer and returns a summary.
// Along the way it can serve /metrics, and it keeps the latest metrics snapshot in `<db>.metrics.json`.

import Database from 'better-sqlite3';
import { Piscina } from 'piscina';
import { resolveBatchConfig, type BatchConfig, type BatchPresetName } from '../config/batch-config.ts';
import { resolveDatabaseConfig, writerSettingsFrom, type DatabaseConfig } from '../config/database-config.ts';
import { urlFromDatabasePath } from '../config/database-url.ts';
import { DirectDatabaseManager } from '../db/direct-manager.ts';
import { LockOptimizedDatabaseManager } from '../db/lock-optimized-manager.ts';
import { linkTransferList } from '../db/writer-link.ts';
import { ConfigError, GeckoCollectorError } from '../errors.ts';
import { GECKO_API_BASE_URL, GeckoTerminalClient, MAX_MULTI_POOLS } from '../gecko/gecko-client.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { startMetricsServer } from '../monitoring/prometheus-exporter.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { startGeckoSimulator, type GeckoSimulator, type GeckoSimulatorOptions } from '../sim/gecko-simulator.ts';
import { workerEntry } from '../threads/spawn-worker.ts';
import {
  CollectorCounters,
  StopFlag,
  sumCounters,
  type CollectorResult,
  type CollectorTask,
  type CounterSnapshot,
  type PoolAssignment,
} from './collector-task.ts';
import { MetricsFileWriter, metricsFilePath, RUN_METRICS_FORMAT, RUN_METRICS_VERSION, type RunMetricsFile } from './metrics-file.ts';
import { countStoredIds, distributePools, loadPoolAssignments, normalizePoolAddresses } from './pool-assignments.ts';

const COLLECTOR_ENTRY = new URL('../../workers/collector.ts', import.meta.url);

export const COLLECTION_DEFAULTS = Object.freeze({
  network: 'solana',
  dbUrl: 'sqlite:///gecko_data.db',
  collectors: 4,
  manager: 'funnel' as const,
  preset: 'production' as const,
  pollIntervalMs: 60_000,
  callsPerMinute: 30,
  minSpacingMs: 1000,
  /** --simulate: a local server takes far more than the public API, so runs of ~20 s collect a lot. */
  simulate: Object.freeze({ pollIntervalMs: 2000, callsPerMinute: 600, minSpacingMs: 0, tradesPerSecond: 4, historySeconds: 3600, seed: 1 }),
  progressIntervalMs: 1000,
  stopGraceMs: 10_000,
  metricsHost: '127.0.0.1',
  metricsFileIntervalMs: 5000,
});

export class CollectionError extends GeckoCollectorError {
  readonly code = 'COLLECTION_FAILED';
}

export interface CollectionOptions {
  network?: string;
  /** Pool addresses. With none (and no `top`), `simulate` uses the simulator's pools. */
  pools?: readonly string[];
  /** Fetch the network's top N pools first (pages of 20, at most 10 pages). */
  top?: number;
  /** Database URL; `database` may set further DatabaseConfig fields. */
  dbUrl?: string;
  database?: Partial<Omit<DatabaseConfig, 'url'>>;
  collectors?: number;
  manager?: 'funnel' | 'direct';
  batch?: BatchPresetName | Partial<BatchConfig>;
  /**
   * false: the rollback switch that keeps the SQLite settings and the writer but drops the batch processor:
   * each poll's new trades are stored in one write, the cursor after its ack. Default true.
   */
  batching?: boolean;
  /** Serve Prometheus text at http://metricsHost:metricsPort/metrics while the run lasts (funnel only; 0 = a free port). */
  metricsPort?: number;
  /** Default 127.0.0.1. */
  metricsHost?: string;
  /** Where the latest metrics snapshot is kept as JSON (for `doctor`); false: nowhere. Default `<db>.metrics.json`. */
  metricsFile?: string | false;
  /** How often that file is refreshed while the run lasts. Default 5000 ms. */
  metricsFileIntervalMs?: number;
  pollIntervalMs?: number;
  callsPerMinute?: number;
  minSpacingMs?: number;
  baseUrl?: string;
  minVolumeUsd?: string;
  /** Start an in-process GeckoTerminal simulator and collect from it (defaults tuned for short runs). */
  simulate?: boolean | GeckoSimulatorOptions;
  /** Fetch and store the pools' metadata (pools/dexes tables) before collecting. Default true. */
  poolMetadata?: boolean;
  /** Stop by itself after this long. Default: until `signal` aborts or `stop()` is called. */
  durationMs?: number;
  /** Aborting it stops the collection cleanly (same as `stop()`). */
  signal?: AbortSignal;
  onProgress?: (progress: CollectionProgress) => void;
  progressIntervalMs?: number;
  /** After a stop, requests already sent get this long to complete. */
  stopGraceMs?: number;
  logger?: Logger;
}

export interface CollectionProgress {
  /** Since every collector began polling (0 while they start). */
  elapsedMs: number;
  /** Collector threads are still starting. */
  starting: boolean;
  collectors: number;
  pools: number;
  counters: CounterSnapshot;
  /** Repeats dropped by the overlap filter plus duplicates the store found. */
  duplicates: number;
  /** Batches waiting in the writer thread (funnel only). */
  writerBacklog: number;
  /** Trades stored per second over the last progress interval. */
  rowsPerSec: number;
  stopping: boolean;
  /** The /metrics URL when the run serves one (with the real port when 0 was asked). */
  metricsUrl?: string;
}

export interface SimulatorCheck {
  requests: number;
  tradesServed: number;
  distinctTradesServed: number;
  /** How many of the distinct trades served are in the database now. */
  servedInDatabase: number;
  /** Every trade the simulator served is stored. */
  allServedStored: boolean;
}

export interface CollectionSummary {
  manager: 'funnel' | 'direct';
  batching: boolean;
  pragmas: 'optimized' | 'default';
  network: string;
  dbPath: string;
  pools: number;
  collectors: number;
  /** Pools that resumed from a cursor saved by an earlier run. */
  resumedPools: number;
  /** From every collector polling to everything committed. */
  durationMs: number;
  /** Database, pools, cursors and collector threads before that. */
  startupMs: number;
  polls: number;
  requests: number;
  throttled: number;
  fetched: number;
  /** Trades this run inserted (acked as committed). */
  stored: number;
  /** Repeats dropped by the overlap filter plus duplicates the store found. */
  duplicates: number;
  repeats: number;
  storeDuplicates: number;
  rejected: number;
  gaps: number;
  badResponses: number;
  errors: number;
  lockErrors: number;
  busyRetries: number;
  rowsPerSec: number;
  /** Collectors whose task failed (their error messages). */
  collectorFailures: string[];
  counters: CounterSnapshot;
  simulator?: SimulatorCheck;
  /** The funnel's metrics snapshot taken once every collector was done (absent in direct mode). */
  metrics?: CollectorMetricsSnapshot;
  /** Where the final snapshot was written (see CollectionOptions.metricsFile). */
  metricsFile?: string;
  metricsUrl?: string;
}

export interface CollectionHandle {
  readonly pools: readonly PoolAssignment[];
  readonly collectors: number;
  readonly simulator: GeckoSimulator | undefined;
  /** The /metrics URL (see CollectionOptions.metricsPort); served until `done` settles. */
  readonly metricsUrl: string | undefined;
  /** See CollectionOptions.metricsFile. */
  readonly metricsFile: string | undefined;
  /** Asks every collector to stop; `done` resolves once everything is committed. Idempotent. */
  stop(): void;
  /** Resolves once every collector is polling (or one ended early, or a stop came first). */
  readonly ready: Promise<void>;
  progress(): Promise<CollectionProgress>;
  readonly done: Promise<CollectionSummary>;
}

interface StateDatabase {
  read<T>(fn: (db: Database.Database) => T): Promise<T>;
  writeMetadata(parsed: ParsedPools): Promise<void>;
  backlog(): Promise<number>;
  /** The funnel's metrics snapshot; undefined in direct mode (no funnel). */
  snapshot: (() => Promise<CollectorMetricsSnapshot>) | undefined;
  close(): Promise<void>;
}

function positiveInt(field: string, v: number | undefined, fallback: number, min = 1): number {
  const n = v ?? fallback;
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(field, v, `expected an integer >= ${min}`);
  return n;
}

async function openFunnel(config: Partial<DatabaseConfig>, maxBatchSize: number): Promise<StateDatabase & { manager: LockOptimizedDatabaseManager }> {
  // maxBatchSize: the batch-fill figure and the small-batches alert compare with the run's own preset.
  const manager = new LockOptimizedDatabaseManager(config, { maxBatchSize });
  await manager.initialize();
  return {
    manager,
    read: (fn) => manager.read(fn),
    writeMetadata: async (parsed) => {
      if (parsed.pools.length === 0 && parsed.dexes.length === 0) return;
      await manager.write({ pools: parsed.pools, dexes: parsed.dexes });
    },
    backlog: async () => (await manager.getWriterMetrics()).backlogBatches,
    snapshot: () => manager.getMetricsSnapshot(),
    close: () => manager.close(),
  };
}

/** Direct mode: migrate once with a direct manager, then read through a read-only connection. */
async function openDirect(config: Partial<DatabaseConfig>): Promise<StateDatabase> {
  const setup = new DirectDatabaseManager(config);
  await setup.initialize();
  await setup.close();
  const settings = writerSettingsFrom(resolveDatabaseConfig(config));
  const reader = new Database(settings.path, { readonly: true, fileMustExist: true });
  reader.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
  return {
    read: async (fn) => fn(reader),
    // No writer thread in the old way: the metadata goes through a direct connection, as the trades do.
    writeMetadata: async (parsed) => {
      if (parsed.pools.length === 0 && parsed.dexes.length === 0) return;
      const writer = new DirectDatabaseManager(config);
      await writer.initialize();
      try {
        await writer.storePoolMetadata(parsed);
      } finally {
        await writer.close();
      }
    },
    backlog: async () => 0,
    snapshot: undefined,
    close: async () => {
      reader.close();
    },
  };
}

async function resolveAddresses(
  options: CollectionOptions,
  client: GeckoTerminalClient,
  network: string,
  simulator: GeckoSimulator | undefined,
  log: Logger,
): Promise<{ addresses: string[]; metadata: ParsedPools | undefined }> {
  if (options.pools && options.pools.length > 0) return { addresses: normalizePoolAddresses(options.pools), metadata: undefined };
  if (options.top !== undefined) {
    const top = positiveInt('top', options.top, 1);
    const metadata: ParsedPools = { pools: [], dexes: [] };
    const dexIds = new Set<string>();
    for (let page = 1; page <= 10 && metadata.pools.length < top; page++) {
      const parsed = await client.getTopPools(network, { page });
      if (parsed.pools.length === 0) break;
      metadata.pools.push(...parsed.pools.slice(0, top - metadata.pools.length));
      for (const d of parsed.dexes) if (!dexIds.has(d.id)) (dexIds.add(d.id), metadata.dexes.push(d));
    }
    log.info({ requested: top, found: metadata.pools.length }, 'top pools fetched');
    return { addresses: normalizePoolAddresses(metadata.pools.map((p) => p.address)), metadata };
  }
  if (simulator) return { addresses: simulator.pools.map((p) => p.address), metadata: undefined };
  throw new ConfigError('pools', undefined, 'no pools to collect: give pool addresses, a pools file, or top N');
}

async function fetchMetadata(client: GeckoTerminalClient, network: string, addresses: readonly string[], log: Logger): Promise<ParsedPools> {
  const out: ParsedPools = { pools: [], dexes: [] };
  const dexIds = new Set<string>();
  for (let i = 0; i < addresses.length; i += MAX_MULTI_POOLS) {
    try {
      const parsed = await client.getMultiPools(network, addresses.slice(i, i + MAX_MULTI_POOLS));
      out.pools.push(...parsed.pools);
      for (const d of parsed.dexes) if (!dexIds.has(d.id)) (dexIds.add(d.id), out.dexes.push(d));
    } catch (err) {
      // Metadata is a convenience: trades are collected without it (foreign keys are off, as in the Python collector).
      log.warn({ err }, 'pool metadata not fetched');
    }
  }
  return out;
}

/**
 * Prepares everything (database, simulator, pools, cursors), starts the collector threads and returns a handle.
 * Throws (after cleaning up) if anything before the start fails.
 */
export async function startCollection(options: CollectionOptions = {}): Promise<CollectionHandle> {
  const launchedAt = performance.now();
  const log = options.logger ? options.logger.child({ component: 'collection' }) : componentLogger('collection');
  const manager = options.manager ?? COLLECTION_DEFAULTS.manager;
  if (manager !== 'funnel' && manager !== 'direct') throw new ConfigError('manager', manager, 'expected funnel or direct');
  const sim = options.simulate ? COLLECTION_DEFAULTS.simulate : undefined;
  const collectorsWanted = positiveInt('collectors', options.collectors, COLLECTION_DEFAULTS.collectors);
  const pollIntervalMs = positiveInt('pollIntervalMs', options.pollIntervalMs, sim?.pollIntervalMs ?? COLLECTION_DEFAULTS.pollIntervalMs, 0);
  const callsPerMinute = options.callsPerMinute ?? sim?.callsPerMinute ?? COLLECTION_DEFAULTS.callsPerMinute;
  const intervalMs = Math.ceil(60_000 / callsPerMinute);
  const minSpacingMs = options.minSpacingMs ?? Math.min(intervalMs, sim?.minSpacingMs ?? COLLECTION_DEFAULTS.minSpacingMs);
  const limiter = new SharedRateLimiter({ callsPerMinute, minSpacingMs });
  const dbConfig: Partial<DatabaseConfig> = { ...options.database, url: options.dbUrl ?? COLLECTION_DEFAULTS.dbUrl };
  const settings = writerSettingsFrom(resolveDatabaseConfig(dbConfig));
  const batching = options.batching ?? true;
  if (typeof batching !== 'boolean') throw new ConfigError('batching', options.batching, 'expected true or false');
  if (options.metricsPort !== undefined && manager !== 'funnel') {
    throw new ConfigError('metricsPort', options.metricsPort, 'the metrics server needs the funnel manager (direct mode has no breaker, deferred queue or writer to report)');
  }
  const metricsPath = options.metricsFile === false ? undefined : (options.metricsFile ?? metricsFilePath(settings.path));
  const metricsFileIntervalMs = positiveInt('metricsFileIntervalMs', options.metricsFileIntervalMs, COLLECTION_DEFAULTS.metricsFileIntervalMs, 10);
  const runStartedAt = Date.now();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => log.error({ err }, 'cleanup failed'));
  };
  try {
    let simulator: GeckoSimulator | undefined;
    if (options.simulate) {
      const simOptions = typeof options.simulate === 'object' ? options.simulate : {};
      simulator = await startGeckoSimulator({
        pools: Math.min(20, Math.max(4, collectorsWanted * 2)),
        tradesPerSecond: COLLECTION_DEFAULTS.simulate.tradesPerSecond,
        historySeconds: COLLECTION_DEFAULTS.simulate.historySeconds,
        seed: COLLECTION_DEFAULTS.simulate.seed,
        ...(options.network ? { network: options.network } : {}),
        ...simOptions,
      });
      const s = simulator;
      cleanups.push(() => s.close());
      log.info({ baseUrl: s.baseUrl, pools: s.pools.length }, 'simulator started');
    }
    const network = simulator?.network ?? options.network ?? COLLECTION_DEFAULTS.network;
    const baseUrl = options.baseUrl ?? simulator?.baseUrl;
    const client = new GeckoTerminalClient({ rateLimiter: limiter, ...(baseUrl ? { baseUrl } : {}) });

    const db = manager === 'funnel' ? await openFunnel(dbConfig, resolveBatchConfig(options.batch ?? COLLECTION_DEFAULTS.preset).maxBatchSize) : await openDirect(dbConfig);
    cleanups.push(() => db.close());

    // Pushed after the database: cleanups run in reverse, so the server stops before the manager closes.
    let metricsUrl: string | undefined;
    if (options.metricsPort !== undefined && db.snapshot) {
      const host = options.metricsHost ?? COLLECTION_DEFAULTS.metricsHost;
      try {
        const server = await startMetricsServer({
          port: options.metricsPort,
          host,
          snapshot: db.snapshot,
          ...(options.logger ? { logger: options.logger.child({ component: 'metrics-server' }) } : {}),
        });
        cleanups.push(() => server.close());
        metricsUrl = server.url;
      } catch (err) {
        if (err instanceof GeckoCollectorError) throw err;
        throw new CollectionError(`cannot serve metrics on ${host}:${options.metricsPort}: ${(err as Error).message}`, { cause: err });
      }
    }
    const metricsContent = (
      snapshot: CollectorMetricsSnapshot | null,
      lock: { lockErrors: number; busyRetries: number },
      finishedAt: number | null,
    ): RunMetricsFile => ({
      format: RUN_METRICS_FORMAT,
      version: RUN_METRICS_VERSION,
      writtenAt: Date.now(),
      startedAt: runStartedAt,
      finishedAt,
      pid: process.pid,
      manager,
      pragmas: settings.pragmas,
      batching,
      snapshot,
      lock,
      ...(snapshot ? {} : { note: 'direct mode: no funnel, so no breaker, deferred queue or writer figures; lock figures are summed over the collectors\' own connections at the end of the run' }),
    });
    let finalMetrics: RunMetricsFile | null = null;
    const snapshotOf = db.snapshot;
    const metricsWriter = metricsPath
      ? new MetricsFileWriter({
          path: metricsPath,
          intervalMs: metricsFileIntervalMs,
          build: async (final) => {
            if (final) return finalMetrics;
            // Direct mode has nothing to report until the collectors hand back their connections' figures.
            if (!snapshotOf) return null;
            const snap = await snapshotOf();
            return metricsContent(snap, { lockErrors: snap.lock.lockErrors, busyRetries: snap.lock.busyRetries }, null);
          },
          logger: log,
        })
      : undefined;
    if (metricsWriter) {
      metricsWriter.start();
      cleanups.push(() => metricsWriter.stop());
    }

    const { addresses, metadata } = await resolveAddresses(options, client, network, simulator, log);
    if (addresses.length === 0) throw new ConfigError('pools', [], 'the pool list is empty');
    if (options.poolMetadata ?? true) {
      await db.writeMetadata(metadata ?? (await fetchMetadata(client, network, addresses, log)));
    }
    const assignments = await db.read((conn) => loadPoolAssignments(conn, network, addresses));
    const groups = distributePools(assignments, collectorsWanted);
    const resumed = assignments.filter((a) => a.cursor).length;
    log.info({ pools: assignments.length, resumed, collectors: groups.length, manager, pollIntervalMs, callsPerMinute }, 'starting collectors');

    const counters = new CollectorCounters(groups.length);
    const stopFlag = new StopFlag();
    const entry = workerEntry(COLLECTOR_ENTRY);
    const pool = new Piscina<CollectorTask, CollectorResult>({
      filename: entry.filename,
      argv: entry.argv,
      execArgv: entry.execArgv,
      minThreads: groups.length,
      maxThreads: groups.length,
      idleTimeout: 60_000,
    });
    cleanups.push(() => pool.destroy());

    let startedAt = launchedAt;
    const dbUrl = urlFromDatabasePath(settings.path);
    const runs: Promise<CollectorResult>[] = [];
    for (let i = 0; i < groups.length; i++) {
      const task: CollectorTask = {
        collectorId: i,
        network,
        pools: groups[i]!,
        pollIntervalMs,
        baseUrl: baseUrl ?? GECKO_API_BASE_URL,
        rateLimiterBuffer: limiter.buffer,
        batch: options.batch ?? COLLECTION_DEFAULTS.preset,
        batching,
        manager,
        stopBuffer: stopFlag.buffer,
        countersBuffer: counters.buffer,
        stopGraceMs: options.stopGraceMs ?? COLLECTION_DEFAULTS.stopGraceMs,
        ...(options.minVolumeUsd !== undefined ? { minVolumeUsd: options.minVolumeUsd } : {}),
      };
      if (manager === 'funnel') {
        task.link = await (db as Awaited<ReturnType<typeof openFunnel>>).manager.linkForWorker();
        runs.push(pool.run(task, { transferList: linkTransferList(task.link) }));
      } else {
        task.dbUrl = dbUrl;
        if (options.database) task.database = { ...options.database };
        runs.push(pool.run(task));
      }
    }
    // Observed below; keep an early failure from being an unhandled rejection meanwhile.
    for (const r of runs) r.catch(() => undefined);

    let stopping = false;
    let durationTimer: NodeJS.Timeout | undefined;
    let progressTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      log.info('stopping: finishing requests in flight, flushing, draining the writer');
      stopFlag.stop();
    };
    const onAbort = () => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop();

    // Starting a thread (tsx compiling the worker graph) takes seconds: the duration counts from when every
    // collector is polling, so a short run is not mostly start-up.
    let anySettled = false;
    for (const r of runs) r.then(() => (anySettled = true), () => (anySettled = true));
    let readyTimer: NodeJS.Timeout | undefined;
    let starting = true;
    const ready = new Promise<void>((resolve) => {
      const check = () => {
        if (stopping || anySettled || counters.total().running >= groups.length) {
          clearInterval(readyTimer);
          if (starting) {
            starting = false;
            startedAt = performance.now();
            log.info({ startupMs: Math.round(startedAt - launchedAt) }, 'collectors running');
          }
          resolve();
        }
      };
      readyTimer = setInterval(check, 50);
      check();
    });
    void ready.then(() => {
      if (options.durationMs !== undefined && !stopping) durationTimer = setTimeout(stop, Math.max(0, options.durationMs));
    });

    let lastTick = { at: launchedAt, inserted: 0 };
    const progress = async (): Promise<CollectionProgress> => {
      const c = counters.total();
      const now = performance.now();
      if (lastTick.at < startedAt) lastTick.at = startedAt;
      const dt = (now - lastTick.at) / 1000;
      const rowsPerSec = dt > 0 ? (c.inserted - lastTick.inserted) / dt : 0;
      lastTick = { at: now, inserted: c.inserted };
      const writerBacklog = stopping ? 0 : await db.backlog().catch(() => 0);
      return {
        elapsedMs: starting ? 0 : now - startedAt,
        starting,
        collectors: groups.length,
        pools: assignments.length,
        counters: c,
        duplicates: c.repeats + c.storeDuplicates,
        writerBacklog,
        rowsPerSec,
        stopping,
        ...(metricsUrl ? { metricsUrl } : {}),
      };
    };
    if (options.onProgress) {
      const onProgress = options.onProgress;
      progressTimer = setInterval(() => {
        progress().then(onProgress, (err: unknown) => log.debug({ err }, 'progress failed'));
      }, options.progressIntervalMs ?? COLLECTION_DEFAULTS.progressIntervalMs);
    }

    const done = (async (): Promise<CollectionSummary> => {
      try {
        const settled = await Promise.allSettled(runs);
        clearInterval(readyTimer);
        clearInterval(progressTimer);
        clearTimeout(durationTimer);
        options.signal?.removeEventListener('abort', onAbort);
        stopping = true;
        const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason instanceof Error ? s.reason.message : String(s.reason)] : []));
        for (const f of failures) log.error({ error: f }, 'collector failed');
        // Failed collectors still counted what they did into the shared slots.
        const c = results.length === groups.length ? sumCounters(results.map((r) => r.counters)) : counters.total();
        const main = client.getStats();
        c.requests += main.requests;
        c.throttled += main.throttled;

        let lockErrors = 0;
        let busyRetries = 0;
        // Every collector is done and everything it sent is acked: these are the run's final figures.
        const finalSnapshot = db.snapshot ? await db.snapshot() : undefined;
        if (finalSnapshot) ({ lockErrors, busyRetries } = finalSnapshot.lock);
        for (const r of results) {
          lockErrors += r.lockMetrics?.lockErrors ?? 0;
          busyRetries += r.lockMetrics?.busyRetries ?? 0;
        }
        let simCheck: SimulatorCheck | undefined;
        if (simulator) {
          const s = simulator.stats();
          const served = simulator.servedTradeIds();
          const servedInDatabase = await db.read((conn) => countStoredIds(conn, served));
          simCheck = {
            requests: s.requests,
            tradesServed: s.tradesServed,
            distinctTradesServed: s.distinctTradesServed,
            servedInDatabase,
            allServedStored: servedInDatabase === s.distinctTradesServed,
          };
        }
        if (metricsWriter) {
          finalMetrics = metricsContent(finalSnapshot ?? null, { lockErrors, busyRetries }, Date.now());
          await metricsWriter.finish();
        }
        // Everything was acked by the collectors; close() also waits for the writer to finish what it holds.
        await cleanup();
        const durationMs = performance.now() - startedAt;
        if (failures.length === groups.length) throw new CollectionError(`every collector failed: ${failures[0]}`);
        const summary: CollectionSummary = {
          manager,
          batching,
          pragmas: settings.pragmas,
          network,
          dbPath: settings.path,
          pools: assignments.length,
          collectors: groups.length,
          durationMs,
          startupMs: startedAt - launchedAt,
          polls: c.polls,
          requests: c.requests,
          throttled: c.throttled,
          fetched: c.fetched,
          stored: c.inserted,
          duplicates: c.repeats + c.storeDuplicates,
          repeats: c.repeats,
          storeDuplicates: c.storeDuplicates,
          rejected: c.rejected,
          gaps: c.gaps,
          badResponses: c.badResponses,
          errors: c.errors,
          lockErrors,
          busyRetries,
          rowsPerSec: durationMs > 0 ? c.inserted / (durationMs / 1000) : 0,
          collectorFailures: failures,
          resumedPools: resumed,
          counters: c,
          ...(simCheck ? { simulator: simCheck } : {}),
          ...(finalSnapshot ? { metrics: finalSnapshot } : {}),
          ...(metricsPath ? { metricsFile: metricsPath } : {}),
          ...(metricsUrl ? { metricsUrl } : {}),
        };
        log.info({ ...summary, counters: undefined, metrics: undefined }, 'collection finished');
        return summary;
      } finally {
        await cleanup();
      }
    })();

    return { pools: assignments, collectors: groups.length, simulator, metricsUrl, metricsFile: metricsPath, stop, ready, progress, done };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** startCollection + wait: resolves with the summary once stopped (duration, signal) and drained. */
export async function runCollection(options: CollectionOptions = {}): Promise<CollectionSummary> {
  const handle = await startCollection(options);
  return handle.done;
}
