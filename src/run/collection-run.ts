// A whole collection as a library call: opens the database (funnel or direct), picks the pools, reads their
// cursors, runs N collector threads under piscina until stopped, drains the writer and returns a summary.
// This module only puts the run in order; each part it sequences (options, database, pool choice, threads,
// monitoring, metrics outputs, progress, summary, simulator check) is a module of its own beside it.

import { linkSignals } from '../common/linked-signal.ts';
import { resolveBatchConfig } from '../config/batch-config.ts';
import { urlFromDatabasePath } from '../config/database-url.ts';
import { ConfigError } from '../errors.ts';
import { GECKO_API_BASE_URL, GECKO_PRO_API_BASE_URL, GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { GeckoAuthError } from '../gecko/gecko-errors.ts';
import { componentLogger, logger as rootLogger } from '../logging/logger.ts';
import type { CollectionFigures, CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { CollectorCounters, type PoolAssignment, PoolLeaseCells, StopFlag } from '../protocol/collector-task.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../sim/gecko-simulator.ts';
import { CollectionError } from './collection-error.ts';
import { COLLECTION_DEFAULTS, type CollectionOptions, resolveRunSettings } from './collection-options.ts';
import { collectorTask } from './collector-tasks.ts';
import { LeasedPoolDealer } from './leased-pools.ts';
import { distributePools } from './pool-assignments.ts';
import { fetchPoolMetadata, selectPools } from './pool-selection.ts';
import { openDirect, openFunnel } from './run-database.ts';
import { RunMetricsFileKeeper, serveRunMetrics } from './run-metrics.ts';
import { RunMonitor } from './run-monitor.ts';
import { RunPoolSet } from './run-pool-set.ts';
import { type CollectionProgress, RunProgress } from './run-progress.ts';
import {
  buildSummary,
  type CollectionSummary,
  collectorOutcomes,
  lockFigures,
  type RunOutcome,
  runCounters,
} from './run-summary.ts';
import { startCollectorThreads } from './run-threads.ts';
import { checkSimulator, type SimulatorCheck } from './simulator-check.ts';

export type { CollectionOptions, CollectionProgress, CollectionSummary, RunOutcome, SimulatorCheck };
// The run's public types and defaults stay importable from here, where callers always found them.
export { COLLECTION_DEFAULTS, CollectionError };

export interface CollectionHandle {
  readonly pools: readonly PoolAssignment[];
  /** Where the pool list came from (see CollectionSummary.poolSource). */
  readonly poolSource: string;
  readonly collectors: number;
  readonly simulator: GeckoSimulator | undefined;
  /** The /metrics URL (see CollectionOptions.metricsPort); served until `done` settles. */
  readonly metricsUrl: string | undefined;
  /** The /healthz URL (on the metrics port, or CollectionOptions.healthPort). */
  readonly healthUrl: string | undefined;
  /** See CollectionOptions.metricsFile. */
  readonly metricsFile: string | undefined;
  /** Asks every collector to stop; `done` resolves once everything is committed. Idempotent. */
  stop(): void;
  /** Resolves once every collector is polling (or one ended early, or a stop came first). */
  readonly ready: Promise<void>;
  progress(): Promise<CollectionProgress>;
  /** The API figures so far, overall and per pool (what /metrics exports). */
  figures(): CollectionFigures;
  /** Reads the pool set's sources again now (a pools file, the lists, the watchlist; SIGHUP in the CLI). */
  reloadPools(): Promise<void>;
  readonly done: Promise<CollectionSummary>;
}

/**
 * Prepares everything (database, simulator, pools, cursors), starts the collector threads and returns a handle.
 * Throws (after cleaning up) if anything before the start fails; GeckoAuthError when the API refuses the key.
 */
export async function startCollection(options: CollectionOptions = {}): Promise<CollectionHandle> {
  const launchedAt = performance.now();
  // Threads log through this one (a library caller's, silent included).
  const logTarget = options.logger ?? rootLogger;
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
        // A skewed market's own default is its busiest pool's rate.
        ...(simOptions.market === 'skewed' ? {} : { tradesPerSecond: COLLECTION_DEFAULTS.simulate.tradesPerSecond }),
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
    const apiKey = options.apiKey || undefined;
    const baseUrl = options.baseUrl ?? simulator?.baseUrl ?? (apiKey ? GECKO_PRO_API_BASE_URL : GECKO_API_BASE_URL);
    const client = new GeckoTerminalClient({
      rateLimiter: limiter,
      baseUrl,
      ...(apiKey ? { apiKey } : {}),
      ...settings.responseLimits,
    });

    const db =
      manager === 'funnel'
        ? await openFunnel(
            settings.dbConfig,
            resolveBatchConfig(options.batch ?? COLLECTION_DEFAULTS.preset).maxBatchSize,
            options.logger,
            options.spoolPath !== undefined ? { deferred: { path: options.spoolPath } } : {},
          )
        : await openDirect(settings.dbConfig, options.logger);
    cleanups.push(() => db.close());

    const selected = await selectPools(options, client, network, simulator, log, (n) => db.reads.readWatchlist(n));
    const { addresses, metadata } = selected;
    if (addresses.length === 0) throw new ConfigError('pools', [], 'the pool list is empty');
    // --duration counts the metadata fetch: an API that never answers must not hold the run past it.
    const metadataStarted = performance.now();
    if (options.poolMetadata ?? true) {
      const limit = linkSignals([
        options.signal,
        options.durationMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, options.durationMs)),
      ]);
      try {
        await db.writeMetadata(metadata ?? (await fetchPoolMetadata(client, network, addresses, log, limit.signal)));
      } finally {
        limit.dispose();
      }
    }
    const metadataMs = performance.now() - metadataStarted;
    // The rowid mark is taken before any collector runs: the simulator check tells this run's rows by it.
    const assignments = (await db.reads.loadPoolAssignments(network, addresses)).map((a, index) => ({ ...a, index }));
    const mark = simulator ? await db.reads.tradesMark() : null;
    const poolSet = new RunPoolSet({ options, network, selected, assignments, client, db, log });
    // Shared through leases (PostgreSQL), collectors start empty and get pools as this process leases them.
    const shared = db.shared;
    const groups = shared
      ? Array.from({ length: Math.min(collectorsWanted, assignments.length) }, (): PoolAssignment[] => [])
      : distributePools(assignments, collectorsWanted);
    const cells = shared ? new PoolLeaseCells(poolSet.capacity) : undefined;
    const resumed = assignments.filter((a) => a.cursor).length;

    const counters = new CollectorCounters(groups.length);
    const stopFlag = new StopFlag();
    let stopping = false;
    const monitor = new RunMonitor({
      counters,
      pools: () => poolSet.assignments(),
      poolSlots: poolSet.capacity,
      pollIntervalMs,
      staleIntervals: settings.healthStaleIntervals,
      breakerState: db.breakerState,
      isStopping: () => stopping,
      onAuthRefused: (status) => {
        log.error({ status }, new GeckoAuthError(status, apiKey !== undefined, baseUrl).message);
        stop();
      },
      log,
    });
    cleanups.push(async () => monitor.dispose());
    const runSnapshot = db.snapshot
      ? async (): Promise<CollectorMetricsSnapshot> => ({ ...(await db.snapshot!()), collection: monitor.figures() })
      : undefined;

    // Pushed after the database: cleanups run in reverse, so the servers stop before the manager closes.
    const host = options.metricsHost ?? COLLECTION_DEFAULTS.metricsHost;
    let metricsUrl: string | undefined;
    let healthUrl: string | undefined;
    if (options.metricsPort !== undefined && runSnapshot) {
      const server = await serveRunMetrics({
        port: options.metricsPort,
        host,
        snapshot: runSnapshot,
        health: () => monitor.health(),
        logger: options.logger,
      });
      cleanups.push(() => server.close());
      metricsUrl = server.url;
      healthUrl = server.healthUrl;
    }
    if (options.healthPort !== undefined) {
      const server = await serveRunMetrics({
        port: options.healthPort,
        host,
        health: () => monitor.health(),
        logger: options.logger,
      });
      cleanups.push(() => server.close());
      healthUrl = server.healthUrl;
    }
    const metricsFile = metricsPath
      ? new RunMetricsFileKeeper({
          path: metricsPath,
          intervalMs: settings.metricsFileIntervalMs,
          startedAt: runStartedAt,
          manager,
          pragmas: settings.writer.pragmas,
          batching,
          snapshot: runSnapshot,
          logger: log,
        })
      : undefined;
    if (metricsFile) {
      metricsFile.start();
      cleanups.push(() => metricsFile.stop());
    }

    log.info(
      { pools: assignments.length, resumed, collectors: groups.length, manager, pollIntervalMs, callsPerMinute },
      'starting collectors',
    );
    let dealer: LeasedPoolDealer | undefined;
    // Cleanups run in reverse: the leases go back only after the collector threads are gone.
    cleanups.push(async () => dealer?.stop());
    const threads = await startCollectorThreads({
      groups,
      db,
      logTarget,
      dbUrl: urlFromDatabasePath(settings.writer.path),
      database: options.database,
      taskFor: (id, pools) =>
        collectorTask(id, pools, settings, options, {
          network,
          baseUrl,
          rateLimiterBuffer: limiter.buffer,
          stopBuffer: stopFlag.buffer,
          countersBuffer: counters.buffer,
          poolCountersBuffer: monitor.poolCounters.buffer,
          ...(apiKey ? { apiKey } : {}),
          userAgent: `gecko-collector (pid ${process.pid})`,
        }),
      ...(cells ? { leaseCells: cells.buffer } : {}),
      openSet: poolSet.follows && !shared,
    });
    cleanups.push(() => threads.destroy());
    const { runs } = threads;
    // The pg driver loads only for PostgreSQL runs.
    const PoolLeases = shared ? (await import('../storage/postgres/leases.ts')).PoolLeases : undefined;
    dealer =
      shared && cells && PoolLeases
        ? new LeasedPoolDealer({
            leases: new PoolLeases(
              shared.postgres,
              { ttlMs: settings.leaseTtlMs, holder: shared.holder, poolIds: assignments.map((a) => a.poolId) },
              log.child({ component: 'leases' }),
            ),
            reads: db.reads,
            network,
            addresses: assignments.map((a) => a.address),
            poolIds: assignments.map((a) => a.poolId),
            controls: threads.leaseControls,
            cells,
            log,
          })
        : undefined;
    // Leases go back (done, or the cleanup) only after the collectors committed everything: their cursor moves
    // need the lease.
    void dealer?.start();
    await poolSet.start({
      controls: threads.leaseControls,
      groups,
      leases: dealer,
      poolCounters: monitor.poolCounters,
    });
    cleanups.push(() => poolSet.stop());

    let durationTimer: NodeJS.Timeout | undefined;
    function stop() {
      if (stopping) return;
      stopping = true;
      log.info('stopping: finishing requests in flight, flushing, draining the writer');
      stopFlag.stop();
    }
    // Storage failed for good (the watch said so in one line): no poll can be kept any more.
    db.onStorageFailure(() => stop());
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
      monitor.startedAt = Date.now();
      if (options.durationMs !== undefined && !stopping)
        durationTimer = setTimeout(stop, Math.max(0, options.durationMs - metadataMs));
    });
    if (options.onProgress)
      tracker.report(options.onProgress, options.progressIntervalMs ?? COLLECTION_DEFAULTS.progressIntervalMs);

    const done = (async (): Promise<CollectionSummary> => {
      try {
        const settled = await Promise.allSettled(runs);
        await poolSet.stop();
        await dealer?.stop();
        tracker.dispose();
        clearTimeout(durationTimer);
        options.signal?.removeEventListener('abort', onAbort);
        stopping = true;
        const authStatus = monitor.authRefused;
        const outcomes = collectorOutcomes(settled);
        for (const f of outcomes.failures) log.error({ error: f }, 'collector failed');
        const c = runCounters(outcomes, groups.length, counters, client.getStats());
        // Every collector is done and everything it sent is acked: these are the run's final figures.
        const finalSnapshot = runSnapshot ? await runSnapshot() : undefined;
        const lock = lockFigures(finalSnapshot, outcomes.results);
        // Batches that went through the spool were acked as deferred: what their replay inserted counts too.
        const storedOnReplay = await db.storedOnReplay();
        const simCheck = simulator
          ? await checkSimulator({ simulator, reads: db.reads, mark, stored: c.inserted + storedOnReplay })
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
          dbPath: settings.writer.postgres?.display ?? settings.writer.path,
          pools: assignments.length,
          poolSource: selected.source,
          paidApi: apiKey !== undefined,
          collectors: groups.length,
          resumedPools: resumed,
          durationMs,
          startupMs: tracker.startedAt - launchedAt,
          counters: c,
          storedOnReplay,
          lock,
          failures: outcomes.failures,
          poolFigures: monitor.pools(),
          simulator: simCheck,
          authRefused:
            authStatus === undefined
              ? undefined
              : { status: authStatus, message: new GeckoAuthError(authStatus, apiKey !== undefined, baseUrl).message },
          spooled: db.spooled(),
          storageFailure: db.storageFailure(),
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
      poolSource: selected.source,
      collectors: groups.length,
      simulator,
      metricsUrl,
      healthUrl,
      metricsFile: metricsPath,
      stop,
      ready: tracker.ready,
      progress: () => tracker.progress(),
      figures: () => monitor.figures(),
      reloadPools: () => poolSet.reload(),
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
