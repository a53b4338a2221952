// What a run's status page shows (GET /status.json): its own pools as the database holds them, read on a
// read-only reader of their own (opened at the first request, never the writer's connection), with the run's
// live figures (breaker, spool, writer queue, per-pool polls) and, when the run has one, its budget plan.

import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { type BudgetPlan, buildStatusReport, type StatusReport } from '../monitoring/status-report.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { PoolStatusReads } from '../storage/pool-status.ts';
import { openPoolStatusReads } from '../storage/pool-status-reader.ts';

export interface RunStatusOptions {
  writer: Pick<WriterSettings, 'path' | 'postgres'>;
  snapshot: () => Promise<CollectorMetricsSnapshot>;
  /** The run's pool ids, in the order shown. */
  pools: readonly string[];
  /** Epoch ms. */
  startedAt: number;
  budget?: () => BudgetPlan | null;
}

export interface RunStatusSource {
  report(): Promise<StatusReport>;
  close(): Promise<void>;
}

export function runStatusSource(options: RunStatusOptions): RunStatusSource {
  let reads: Promise<PoolStatusReads> | undefined;
  let closed = false;
  return {
    async report() {
      if (closed) throw new Error('the run has stopped');
      reads ??= openPoolStatusReads(options.writer);
      const opened = await reads;
      const nowMs = Date.now();
      const [rows, snapshot] = await Promise.all([opened.readPools(nowMs), options.snapshot()]);
      return buildStatusReport({
        nowMs,
        engine: opened.engine,
        database: options.writer.postgres?.display ?? options.writer.path,
        rows,
        snapshot,
        startedAtMs: options.startedAt,
        budget: options.budget?.() ?? null,
        pools: options.pools,
      });
    },
    async close() {
      closed = true;
      // A reads that failed to open has nothing to close; its error went to report().
      const opened = await reads?.catch(() => undefined);
      await opened?.close();
    },
  };
}
