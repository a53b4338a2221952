// A whole collection as a library call: opens the database (funnel or direct), picks the pools, reads their
// cursors, runs N collector threads under piscina until stopped, drains the writer and returns a summary.
// This module only puts the run in phases, each a module beside it that registers what it takes with the run's
// one disposer (run-context.ts): the API, the store, the pools, the watch, the collectors, the progress, the end.
// New run-time machinery is a module of its own started between two phases here.

import type { CollectionFigures } from '../monitoring/metrics-snapshot.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import { BudgetPlanLog } from './budget-plan-log.ts';
import { CollectionError } from './collection-error.ts';
import { COLLECTION_DEFAULTS, type CollectionOptions } from './collection-options.ts';
import { startRetentionSchedule } from './retention-schedule.ts';
import { connectApi } from './run-api.ts';
import { type RunCollectors, startCollectors } from './run-collectors.ts';
import { createRunContext, type RunContext } from './run-context.ts';
import { startCounterCoverage } from './run-counter-coverage.ts';
import { openStore, type RunDatabase } from './run-database.ts';
import { finishRun } from './run-finish.ts';
import { type RunOutputs, startOutputs } from './run-outputs.ts';
import { preparePools, type RunPools } from './run-pools.ts';
import { type CollectionProgress, RunProgress } from './run-progress.ts';
import type { CollectionSummary, RunOutcome } from './run-summary.ts';
import type { SimulatorCheck } from './simulator-check.ts';
import { startSpareGapFill } from './spare-gap-fill.ts';

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
  /** The status page (`/` on the metrics port; its figures on /status.json). */
  readonly statusUrl: string | undefined;
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
  const ctx = createRunContext(options);
  try {
    const api = await connectApi(ctx);
    const db = await openStore(ctx);
    const pools = await preparePools(ctx, api, db);
    const outputs = await startOutputs(ctx, api, db, pools);
    const collectors = await startCollectors(ctx, api, db, pools, outputs);
    const counterCoverage = startCounterCoverage(ctx, api, db, pools, outputs.monitor);
    startSpareGapFill(
      ctx,
      api,
      db,
      pools.assignments.map((a) => a.poolId),
      (poolId, missed, stored, span) => {
        outputs.monitor.noteFilled(poolId, missed, stored);
        counterCoverage?.forget(poolId, { ...span, stored });
      },
    );
    startRetentionSchedule(ctx);
    ctx.stopper.follow(options.signal);
    const tracker = trackProgress(ctx, db, pools, outputs, collectors);
    const planLog = ctx.disposer.push(new BudgetPlanLog(() => outputs.monitor.plan(), ctx.log), (p) => p.dispose());
    void tracker.ready.then(() => {
      outputs.monitor.startedAt = Date.now();
      if (!ctx.stopper.stopping) planLog.start();
      if (options.durationMs !== undefined) ctx.stopper.stopAfter(options.durationMs - pools.metadataMs);
    });
    const done = finishRun(ctx, { api, db, pools, outputs, collectors, tracker, counterCoverage });
    return {
      pools: pools.assignments,
      poolSource: pools.selected.source,
      collectors: pools.groups.length,
      simulator: api.simulator,
      metricsUrl: outputs.metricsUrl,
      healthUrl: outputs.healthUrl,
      statusUrl: outputs.statusUrl,
      metricsFile: ctx.settings.metricsPath,
      stop: () => ctx.stopper.stop(),
      ready: tracker.ready,
      progress: () => tracker.progress(),
      figures: () => outputs.monitor.figures(),
      reloadPools: () => pools.poolSet.reload(),
      done,
    };
  } catch (err) {
    await ctx.release();
    throw err;
  }
}

/** The progress phase: when every collector is polling, and the figures a caller polls or gets every interval. */
function trackProgress(
  ctx: RunContext,
  db: RunDatabase,
  pools: RunPools,
  outputs: RunOutputs,
  collectors: RunCollectors,
): RunProgress {
  const tracker = ctx.disposer.push(
    new RunProgress({
      launchedAt: ctx.launchedAt,
      counters: pools.counters,
      collectors: pools.groups.length,
      pools: pools.assignments.length,
      runs: collectors.runs,
      isStopping: () => ctx.stopper.stopping,
      backlog: () => db.backlog(),
      metricsUrl: outputs.metricsUrl,
      schedule: () => outputs.monitor.progressFigures(),
      log: ctx.log,
    }),
    (t) => t.dispose(),
  );
  const { onProgress, progressIntervalMs } = ctx.options;
  if (onProgress) tracker.report(onProgress, progressIntervalMs ?? COLLECTION_DEFAULTS.progressIntervalMs);
  return tracker;
}

/** startCollection + wait: resolves with the summary once stopped (duration, signal) and drained. */
export async function runCollection(options: CollectionOptions = {}): Promise<CollectionSummary> {
  const handle = await startCollection(options);
  return handle.done;
}
