// Where a run publishes its metrics beyond the process: the optional /metrics server, and `<db>.metrics.json`
// refreshed while the run lasts and written a last time with the run's final figures (for `doctor`).

import fs from 'node:fs';
import path from 'node:path';
import { GeckoCollectorError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { HealthReport } from '../monitoring/health.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { type MetricsServer, startMetricsServer } from '../monitoring/monitoring-server.ts';
import type { StatusReport } from '../monitoring/status-report.ts';
import { CollectionError } from './collection-error.ts';
import { MetricsFileWriter, RUN_METRICS_FORMAT, RUN_METRICS_VERSION, type RunMetricsFile } from './metrics-file.ts';

export interface LockFigures {
  lockErrors: number;
  busyRetries: number;
}

/** startMetricsServer (/metrics and/or /healthz), with a listen failure (port taken...) reported as a CollectionError. */
export async function serveRunMetrics(options: {
  port: number;
  host: string;
  snapshot?: () => Promise<CollectorMetricsSnapshot>;
  health?: () => HealthReport;
  status?: () => Promise<StatusReport>;
  logger: Logger | undefined;
}): Promise<MetricsServer> {
  try {
    return await startMetricsServer({
      port: options.port,
      host: options.host,
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      ...(options.health ? { health: options.health } : {}),
      ...(options.status ? { status: options.status } : {}),
      ...(options.logger ? { logger: options.logger.child({ component: 'metrics-server' }) } : {}),
    });
  } catch (err) {
    if (err instanceof GeckoCollectorError) throw err;
    throw new CollectionError(`cannot serve metrics on ${options.host}:${options.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export interface RunMetricsFileOptions {
  path: string;
  intervalMs: number;
  /** Epoch ms. */
  startedAt: number;
  manager: 'funnel' | 'direct';
  pragmas: 'optimized' | 'default';
  batching: boolean;
  /** The run's --min-volume-usd (reconcile says what a filtered store cannot add up to). */
  minVolumeUsd?: string;
  /** The funnel's snapshot; undefined in direct mode. */
  snapshot: (() => Promise<CollectorMetricsSnapshot>) | undefined;
  logger: Logger;
}

/** The metrics file of one run: periodic refreshes from the live snapshot, then one final write. */
export class RunMetricsFileKeeper {
  private finalContent: RunMetricsFile | null = null;
  private readonly writer: MetricsFileWriter;

  constructor(private readonly options: RunMetricsFileOptions) {
    const snapshotOf = options.snapshot;
    this.writer = new MetricsFileWriter({
      path: options.path,
      intervalMs: options.intervalMs,
      build: async (final) => {
        if (final) return this.finalContent;
        // Direct mode has nothing to report until the collectors hand back their connections' figures.
        if (!snapshotOf) return null;
        const snap = await snapshotOf();
        return this.content(snap, { lockErrors: snap.lock.lockErrors, busyRetries: snap.lock.busyRetries }, null);
      },
      logger: options.logger,
    });
  }

  start(): void {
    // A PostgreSQL run's file goes to the state directory, which a run given its own --spool has not created.
    try {
      fs.mkdirSync(path.dirname(this.options.path), { recursive: true, mode: 0o700 });
    } catch {
      // The writer logs that it could not write the file.
    }
    this.writer.start();
  }

  /** Writes the run's final figures (once every collector is done). */
  async finish(snapshot: CollectorMetricsSnapshot | null, lock: LockFigures): Promise<void> {
    this.finalContent = this.content(snapshot, lock, Date.now());
    await this.writer.finish();
  }

  stop(): Promise<void> {
    return this.writer.stop();
  }

  private content(
    snapshot: CollectorMetricsSnapshot | null,
    lock: LockFigures,
    finishedAt: number | null,
  ): RunMetricsFile {
    const { startedAt, manager, pragmas, batching, minVolumeUsd } = this.options;
    return {
      ...(minVolumeUsd !== undefined ? { minVolumeUsd } : {}),
      format: RUN_METRICS_FORMAT,
      version: RUN_METRICS_VERSION,
      writtenAt: Date.now(),
      startedAt,
      finishedAt,
      pid: process.pid,
      manager,
      pragmas,
      batching,
      snapshot,
      lock,
      ...(snapshot
        ? {}
        : {
            note: "direct mode: no funnel, so no breaker, deferred queue or writer figures; lock figures are summed over the collectors' own connections at the end of the run",
          }),
    };
  }
}
