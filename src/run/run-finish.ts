// The last phase of a collection run: once every collector has ended, the leases go back, the final figures
// are read (the funnel's snapshot, the spool's replay, the simulator's ground truth), the metrics file gets its
// last write, everything is released (the writer drains as the store closes) and the summary is built.

import { CollectionError } from './collection-error.ts';
import type { RunApi } from './run-api.ts';
import type { RunCollectors } from './run-collectors.ts';
import type { RunContext } from './run-context.ts';
import type { CounterCoverage } from './run-counter-coverage.ts';
import type { RunDatabase } from './run-database.ts';
import type { RunOutputs } from './run-outputs.ts';
import type { RunPools } from './run-pools.ts';
import type { RunProgress } from './run-progress.ts';
import { buildSummary, type CollectionSummary, collectorOutcomes, lockFigures, runCounters } from './run-summary.ts';
import { checkSimulator } from './simulator-check.ts';

export interface FinishParts {
  api: RunApi;
  db: RunDatabase;
  pools: RunPools;
  outputs: RunOutputs;
  collectors: RunCollectors;
  tracker: RunProgress;
  /** The counter reads, when the run takes them. */
  counterCoverage?: CounterCoverage | undefined;
}

/** Waits for every collector, then ends the run; releases everything whether it succeeds or throws. */
export async function finishRun(ctx: RunContext, parts: FinishParts): Promise<CollectionSummary> {
  const { settings, log } = ctx;
  const { api, db, pools, outputs, collectors, tracker } = parts;
  try {
    const settled = await Promise.allSettled(collectors.runs);
    await collectors.releaseLeases();
    tracker.dispose();
    ctx.stopper.dispose();
    const authStatus = outputs.monitor.authRefused;
    const outcomes = collectorOutcomes(settled);
    for (const f of outcomes.failures) log.error({ error: f }, 'collector failed');
    // After the collectors' last polls: one more read of the counters, and the estimates from them all.
    await parts.counterCoverage?.finish();
    const c = runCounters(outcomes, pools.groups.length, pools.counters, api.client.getStats());
    // Every collector is done and everything it sent is acked: these are the run's final figures.
    const finalSnapshot = outputs.snapshot ? await outputs.snapshot() : undefined;
    const lock = lockFigures(finalSnapshot, outcomes.results);
    // Batches that went through the spool were acked as deferred: what their replay inserted counts too.
    const storedOnReplay = await db.storedOnReplay();
    const simCheck = api.simulator
      ? await checkSimulator({
          simulator: api.simulator,
          reads: db.reads,
          mark: pools.mark,
          stored: c.inserted + storedOnReplay,
        })
      : undefined;
    await outputs.metricsFile?.finish(finalSnapshot ?? null, lock);
    // Everything was acked by the collectors; the store's close also waits for the writer to finish what it holds.
    await ctx.release();
    const durationMs = performance.now() - tracker.startedAt;
    if (outcomes.failures.length === pools.groups.length)
      throw new CollectionError(`every collector failed: ${outcomes.failures[0]}`);
    const summary = buildSummary({
      manager: settings.manager,
      batching: settings.batching,
      pragmas: settings.writer.pragmas,
      network: api.network,
      dbPath: settings.writer.postgres?.display ?? settings.writer.path,
      pools: pools.assignments.length,
      poolSource: pools.selected.source,
      paidApi: api.apiKey !== undefined,
      collectors: pools.groups.length,
      resumedPools: pools.resumed,
      durationMs,
      startupMs: tracker.startedAt - ctx.launchedAt,
      counters: c,
      storedOnReplay,
      lock,
      failures: outcomes.failures,
      poolFigures: outputs.monitor.pools(),
      schedule: outputs.monitor.plan(),
      simulator: simCheck,
      authRefused: authStatus === undefined ? undefined : { status: authStatus, message: api.authMessage(authStatus) },
      spooled: db.spooled(),
      storageFailure: db.storageFailure(),
      finalSnapshot,
      metricsFile: settings.metricsPath,
      metricsUrl: outputs.metricsUrl,
    });
    log.info({ ...summary, counters: undefined, metrics: undefined }, 'collection finished');
    return summary;
  } finally {
    await ctx.release();
  }
}
