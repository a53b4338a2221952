// A whole collection as a library call: opens the database (funnel or direct), picks the pools, reads their
// cursors, runs N collector threads under piscina until stopped, drains the writer and returns a summary.
// This module only puts the run in order; each part it sequences (options, database, pool choice, metrics
// outputs, progress, summary, simulator check) is a module of its own beside it.

import { Piscina } from 'piscina';
import { resolveBatchConfig } from '../config/batch-config.ts';
import { urlFromDatabasePath } from '../config/database-url.ts';
import { ConfigError } from '../errors.ts';
import { GECKO_API_BASE_URL, GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { componentLogger } from '../logging/logger.ts';
import {
  CollectorCounters,
  type CollectorResult,
  type CollectorTask,
  type PoolAssignment,
  StopFlag,
} from '../protocol/collector-task.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { linkTransferList } from '../sender/writer-link.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../sim/gecko-simulator.ts';
import { CollectionError } from './collection-error.ts';
import { COLLECTION_DEFAULTS, type CollectionOptions, resolveRunSettings } from './collection-options.ts';
import { collectorTask } from './collector-tasks.ts';
import { distributePools, loadPoolAssignments, tradesRowidMark } from './pool-assignments.ts';
import { fetchPoolMetadata, selectPools } from './pool-selection.ts';
import { openDirect, openFunnel } from './run-database.ts';
import { RunMetricsFileKeeper, serveRunMetrics } from './run-metrics.ts';
import { type CollectionProgress, RunProgress } from './run-progress.ts';
import { buildSummary, type CollectionSummary, collectorOutcomes, lockFigures, runCounters } from './run-summary.ts';
import { checkSimulator, type SimulatorCheck } from './simulator-check.ts';

export type { CollectionOptions, CollectionProgress, CollectionSummary, SimulatorCheck };
// The run's public types and defaults stay importable from here, where callers always found them.
export { COLLECTION_DEFAULTS, CollectionError };

const COLLECTOR_ENTRY = new URL('../collector/collector-thread.js', import.meta.url);

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

/**
 * Prepares everything (database, simulator, pools, cursors), starts the collector threads and returns a handle.
 * Throws (after cleaning up) if anything before the start fails.
 */
export async function startCollection(options: CollectionOptions = {}): Promise<CollectionHandle> {
  const launchedAt = performance.now();
  const log = options.logger ? options.logger.child({ component: 'collection' }) : componentLogger('collection');
  const settings = resolveRunSettings(options);
  const { manager, collectorsWanted, pollIntervalMs, callsPerMinute, batching, metricsPath } = settings;
  const limiter = new SharedRateLimiter({ callsPerMinute, minSpacingMs: settings.minSpacingMs });
  const runStartedAt = Date.now();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse())
      await fn().catch((err: unknown) => log.error({ err }, 'cleanup failed'));
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

    const db =
      manager === 'funnel'
        ? await openFunnel(
            settings.dbConfig,
            resolveBatchConfig(options.batch ?? COLLECTION_DEFAULTS.preset).maxBatchSize,
          )
        : await openDirect(settings.dbConfig);
    cleanups.push(() => db.close());

    // Pushed after the database: cleanups run in reverse, so the server stops before the manager closes.
    let metricsUrl: string | undefined;
    if (options.metricsPort !== undefined && db.snapshot) {
      const server = await serveRunMetrics({
        port: options.metricsPort,
        host: options.metricsHost ?? COLLECTION_DEFAULTS.metricsHost,
        snapshot: db.snapshot,
        logger: options.logger,
      });
      cleanups.push(() => server.close());
      metricsUrl = server.url;
    }
    const metricsFile = metricsPath
      ? new RunMetricsFileKeeper({
          path: metricsPath,
          intervalMs: settings.metricsFileIntervalMs,
          startedAt: runStartedAt,
          manager,
          pragmas: settings.writer.pragmas,
          batching,
          snapshot: db.snapshot,
          logger: log,
        })
      : undefined;
    if (metricsFile) {
      metricsFile.start();
      cleanups.push(() => metricsFile.stop());
    }

    const { addresses, metadata } = await selectPools(options, client, network, simulator, log);
    if (addresses.length === 0) throw new ConfigError('pools', [], 'the pool list is empty');
    if (options.poolMetadata ?? true) {
      await db.writeMetadata(metadata ?? (await fetchPoolMetadata(client, network, addresses, log)));
    }
    // The rowid mark is taken before any collector runs: the simulator check tells this run's rows by it.
    const { assignments, rowidMark } = await db.read((conn) => ({
      assignments: loadPoolAssignments(conn, network, addresses),
      rowidMark: simulator ? tradesRowidMark(conn) : 0,
    }));
    const groups = distributePools(assignments, collectorsWanted);
    const resumed = assignments.filter((a) => a.cursor).length;
    log.info(
      { pools: assignments.length, resumed, collectors: groups.length, manager, pollIntervalMs, callsPerMinute },
      'starting collectors',
    );

    const counters = new CollectorCounters(groups.length);
    const stopFlag = new StopFlag();
    const pool = new Piscina<CollectorTask, CollectorResult>({
      filename: COLLECTOR_ENTRY.href,
      minThreads: groups.length,
      maxThreads: groups.length,
      idleTimeout: 60_000,
    });
    cleanups.push(() => pool.destroy());

    const dbUrl = urlFromDatabasePath(settings.writer.path);
    const runs: Promise<CollectorResult>[] = [];
    for (let i = 0; i < groups.length; i++) {
      const task = collectorTask(i, groups[i]!, settings, options, {
        network,
        baseUrl: baseUrl ?? GECKO_API_BASE_URL,
        rateLimiterBuffer: limiter.buffer,
        stopBuffer: stopFlag.buffer,
        countersBuffer: counters.buffer,
      });
      if (db.linkForWorker) {
        task.link = await db.linkForWorker();
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
    const stop = () => {
      if (stopping) return;
      stopping = true;
      log.info('stopping: finishing requests in flight, flushing, draining the writer');
      stopFlag.stop();
    };
    const onAbort = () => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop();

    const tracker = new RunProgress({
      launchedAt,
      counters,
      collectors: groups.length,
      pools: assignments.length,
      runs,
      isStopping: () => stopping,
      backlog: () => db.backlog(),
      metricsUrl,
      log,
    });
    void tracker.ready.then(() => {
      if (options.durationMs !== undefined && !stopping)
        durationTimer = setTimeout(stop, Math.max(0, options.durationMs));
    });
    if (options.onProgress)
      tracker.report(options.onProgress, options.progressIntervalMs ?? COLLECTION_DEFAULTS.progressIntervalMs);

    const done = (async (): Promise<CollectionSummary> => {
      try {
        const settled = await Promise.allSettled(runs);
        tracker.dispose();
        clearTimeout(durationTimer);
        options.signal?.removeEventListener('abort', onAbort);
        stopping = true;
        const outcomes = collectorOutcomes(settled);
        for (const f of outcomes.failures) log.error({ error: f }, 'collector failed');
        const c = runCounters(outcomes, groups.length, counters, client.getStats());
        // Every collector is done and everything it sent is acked: these are the run's final figures.
        const finalSnapshot = db.snapshot ? await db.snapshot() : undefined;
        const lock = lockFigures(finalSnapshot, outcomes.results);
        const simCheck = simulator
          ? await checkSimulator({ simulator, read: (fn) => db.read(fn), rowidMark, stored: c.inserted })
          : undefined;
        await metricsFile?.finish(finalSnapshot ?? null, lock);
        // Everything was acked by the collectors; close() also waits for the writer to finish what it holds.
        await cleanup();
        const durationMs = performance.now() - tracker.startedAt;
        if (outcomes.failures.length === groups.length)
          throw new CollectionError(`every collector failed: ${outcomes.failures[0]}`);
        const summary = buildSummary({
          manager,
          batching,
          pragmas: settings.writer.pragmas,
          network,
          dbPath: settings.writer.path,
          pools: assignments.length,
          collectors: groups.length,
          resumedPools: resumed,
          durationMs,
          startupMs: tracker.startedAt - launchedAt,
          counters: c,
          lock,
          failures: outcomes.failures,
          simulator: simCheck,
          finalSnapshot,
          metricsFile: metricsPath,
          metricsUrl,
        });
        log.info({ ...summary, counters: undefined, metrics: undefined }, 'collection finished');
        return summary;
      } finally {
        await cleanup();
      }
    })();

    return {
      pools: assignments,
      collectors: groups.length,
      simulator,
      metricsUrl,
      metricsFile: metricsPath,
      stop,
      ready: tracker.ready,
      progress: () => tracker.progress(),
      done,
    };
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
