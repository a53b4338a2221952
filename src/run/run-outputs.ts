// The watch phase of a collection run: the monitor (per-pool figures, health, refused credentials) and what
// publishes it beyond the process (the /metrics and /healthz servers, the status page, the metrics file).
// Registered after the store, so they stop before it closes.

import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { COLLECTION_DEFAULTS } from './collection-options.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';
import { RunMetricsFileKeeper, serveRunMetrics } from './run-metrics.ts';
import { RunMonitor } from './run-monitor.ts';
import type { RunPools } from './run-pools.ts';
import { runStatusSource } from './run-status.ts';

export interface RunOutputs {
  readonly monitor: RunMonitor;
  /** The funnel's snapshot with the run's API figures; undefined in direct mode. */
  readonly snapshot: (() => Promise<CollectorMetricsSnapshot>) | undefined;
  readonly metricsUrl: string | undefined;
  readonly healthUrl: string | undefined;
  /** The status page (`/` on the metrics port). */
  readonly statusUrl: string | undefined;
  readonly metricsFile: RunMetricsFileKeeper | undefined;
}

export async function startOutputs(
  ctx: RunContext,
  api: RunApi,
  db: RunDatabase,
  pools: RunPools,
): Promise<RunOutputs> {
  const { options, settings, log, stopper } = ctx;
  const monitor = ctx.disposer.push(
    new RunMonitor({
      counters: pools.counters,
      pools: pools.assignments,
      pollIntervalMs: settings.pollIntervalMs,
      schedule: settings.schedule,
      staleIntervals: settings.healthStaleIntervals,
      breakerState: db.breakerState,
      isStopping: () => stopper.stopping,
      onAuthRefused: (status) => {
        log.error({ status }, api.authMessage(status));
        stopper.stop();
      },
      log,
    }),
    (m) => m.dispose(),
  );
  const snapshot = db.snapshot
    ? async (): Promise<CollectorMetricsSnapshot> => ({ ...(await db.snapshot!()), collection: monitor.figures() })
    : undefined;

  const host = options.metricsHost ?? COLLECTION_DEFAULTS.metricsHost;
  let metricsUrl: string | undefined;
  let healthUrl: string | undefined;
  let statusUrl: string | undefined;
  if (options.metricsPort !== undefined && snapshot) {
    // Its own read-only reader, closed after the server (the disposer runs in reverse).
    const status = ctx.disposer.push(
      runStatusSource({
        writer: settings.writer,
        snapshot,
        pools: pools.assignments.map((a) => a.poolId),
        startedAt: ctx.runStartedAt,
        budget: () => monitor.progressFigures().budget,
      }),
      (s) => s.close(),
    );
    const server = ctx.disposer.push(
      await serveRunMetrics({
        port: options.metricsPort,
        host,
        snapshot,
        health: () => monitor.health(),
        status: () => status.report(),
        logger: options.logger,
      }),
      (s) => s.close(),
    );
    metricsUrl = server.url;
    healthUrl = server.healthUrl;
    statusUrl = server.statusUrl;
  }
  if (options.healthPort !== undefined) {
    const server = ctx.disposer.push(
      await serveRunMetrics({ port: options.healthPort, host, health: () => monitor.health(), logger: options.logger }),
      (s) => s.close(),
    );
    healthUrl = server.healthUrl;
  }
  const metricsFile = settings.metricsPath
    ? ctx.disposer.push(
        new RunMetricsFileKeeper({
          path: settings.metricsPath,
          intervalMs: settings.metricsFileIntervalMs,
          startedAt: ctx.runStartedAt,
          manager: settings.manager,
          pragmas: settings.writer.pragmas,
          batching: settings.batching,
          ...(options.minVolumeUsd !== undefined ? { minVolumeUsd: options.minVolumeUsd } : {}),
          snapshot,
          logger: log,
        }),
        (f) => f.stop(),
      )
    : undefined;
  metricsFile?.start();
  return { monitor, snapshot, metricsUrl, healthUrl, statusUrl, metricsFile };
}
