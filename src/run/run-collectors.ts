// The collectors phase of a run: the collector threads, each with its task, and on PostgreSQL the dealer that
// leases pools to them. The threads go first at release; the leases go back only after them, since a cursor
// move needs its lease.

import { urlFromDatabasePath } from '../config/database-url.ts';
import type { CollectorResult } from '../protocol/collector-task.ts';
import { collectorTask } from './collector-tasks.ts';
import { LeasedPoolDealer } from './leased-pools.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';
import type { RunOutputs } from './run-outputs.ts';
import type { RunPools } from './run-pools.ts';
import { startCollectorThreads } from './run-threads.ts';

export interface RunCollectors {
  /** One per collector thread; rejects when that collector failed. */
  readonly runs: Promise<CollectorResult>[];
  /** Hands the leased pools back (PostgreSQL); a no-op otherwise. */
  releaseLeases(): Promise<void>;
}

export async function startCollectors(
  ctx: RunContext,
  api: RunApi,
  db: RunDatabase,
  pools: RunPools,
  outputs: RunOutputs,
): Promise<RunCollectors> {
  const { options, settings, log } = ctx;
  const { assignments, groups, cells, counters } = pools;
  const shared = db.shared;
  // The pg driver loads only for PostgreSQL runs.
  const PoolLeases = shared && cells ? (await import('../storage/postgres/leases.ts')).PoolLeases : undefined;
  log.info(
    {
      pools: assignments.length,
      resumed: pools.resumed,
      collectors: groups.length,
      manager: settings.manager,
      pollIntervalMs: settings.pollIntervalMs,
      callsPerMinute: settings.callsPerMinute,
    },
    'starting collectors',
  );
  let dealer: LeasedPoolDealer | undefined;
  const threads = ctx.disposer.push(
    await startCollectorThreads({
      groups,
      db,
      logTarget: ctx.logTarget,
      dbUrl: urlFromDatabasePath(settings.writer.path),
      database: options.database,
      taskFor: (id, group) =>
        collectorTask(id, group, settings, options, {
          network: api.network,
          baseUrl: api.baseUrl,
          rateLimiterBuffer: ctx.limiter.buffer,
          stopBuffer: ctx.stopper.flag.buffer,
          countersBuffer: counters.buffer,
          poolCountersBuffer: outputs.monitor.poolCounters.buffer,
          scheduleBuffer: outputs.monitor.scheduleCells.buffer,
          ...(api.apiKey ? { apiKey: api.apiKey } : {}),
          userAgent: `gecko-collector (pid ${process.pid})`,
        }),
      ...(cells ? { leaseCells: cells.buffer } : {}),
      openSet: pools.poolSet.follows && !shared,
    }),
    async (t) => {
      await pools.poolSet.stop();
      await t.destroy();
      await dealer?.stop();
    },
  );
  if (PoolLeases && shared && cells) {
    const poolIds = assignments.map((a) => a.poolId);
    dealer = new LeasedPoolDealer({
      leases: new PoolLeases(
        shared.postgres,
        { ttlMs: settings.leaseTtlMs, holder: shared.holder, poolIds },
        log.child({ component: 'leases' }),
      ),
      reads: db.reads,
      network: api.network,
      addresses: assignments.map((a) => a.address),
      poolIds,
      controls: threads.leaseControls,
      cells,
      priorOf: (address) => pools.priors.get(address),
      log,
    });
    // Leases go back (done, or the release) only after the collectors committed everything.
    void dealer.start();
  }
  // The set follows its sources from now on (a pools file, the top/new lists); pool_membership records the start.
  await pools.poolSet.start({
    controls: threads.leaseControls,
    groups,
    leases: dealer,
    poolCounters: outputs.monitor.poolCounters,
    scheduleCells: outputs.monitor.scheduleCells,
  });
  return {
    runs: threads.runs,
    releaseLeases: async () => {
      await pools.poolSet.stop();
      await dealer?.stop();
    },
  };
}
