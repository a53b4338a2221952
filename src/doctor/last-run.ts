// The last collection run as doctor shows it: read from the `<db>.metrics.json` the run keeps beside the
// database (breaker, deferred queue, writer restarts, lock figures, batch fill, alerts), offline.

import type { ActiveAlert, DeferredFigures, SchedulePlanFigures } from '../monitoring/metrics-snapshot.ts';
import type { RunState } from '../monitoring/status-report.ts';
import type { BatchOriginFigures } from '../protocol/flush-reason.ts';
import { metricsFilePath, type RunMetricsFile, readMetricsFile } from '../run/metrics-file.ts';
import { runStateOf } from '../run/run-state.ts';
import type { LockHolder } from '../storage/sqlite/database-lock.ts';

export interface LastRunBreaker {
  state: string;
  opens: number;
  rejections: number;
  failures: number;
  successes: number;
  /** Total time the breaker was OPEN or ISOLATED during the run. */
  timeInOpenMs: number;
  /** Start of the open period in progress at the snapshot (ISO); null when it was not open. */
  openedAt: string | null;
}

export interface LastRunBatchFill {
  avgBatchSize: number;
  maxBatchSize: number;
  /** avgBatchSize / maxBatchSize (0 before the first batch). */
  fill: number;
  batches: number;
  rows: number;
  /** Batches and rows by why each was cut; absent in files from builds before the split. */
  byReason?: BatchOriginFigures;
}

export interface LastRunSnapshot {
  /** The file the figures come from. */
  file: string;
  manager: 'funnel' | 'direct';
  pragmas: 'optimized' | 'default';
  batching: boolean;
  /** When the figures were taken (the snapshot's timestamp, or the file's when there is no snapshot), ISO UTC. */
  at: string;
  startedAt: string;
  /** When the run ended; null if the file is from a run still going, or one that died before its end. */
  finishedAt: string | null;
  /** Still going, finished, or died (killed or crashed: no final figures and nothing writes the database now). */
  state: RunState;
  lockErrors: number;
  busyRetries: number;
  /** null in direct mode (no funnel: no breaker, deferred queue or writer thread). */
  breaker: LastRunBreaker | null;
  /** The deferred queue at the snapshot (the spool section shows it now). */
  deferred: DeferredFigures | null;
  writer: { restarts: number; lastRestartAt: string | null } | null;
  batchFill: LastRunBatchFill | null;
  /** Alerts active at the snapshot. */
  alerts: ActiveAlert[];
  /**
   * Trades of API responses the row checks refused, overall and per pool (pools with any); null when the file
   * holds no collection figures (a build before them, or not a collection run).
   */
  rejectedTrades: { total: number; byPool: { pool: string; rejected: number }[] } | null;
  /** The schedule's budget plan at the snapshot; null in files of builds before it. */
  schedule: SchedulePlanFigures | null;
  note?: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `holder`: who holds the SQLite file's lock now (null for PostgreSQL); it tells a live run from a dead one. */
export function lastRunFrom(file: string, m: RunMetricsFile, holder: LockHolder | null): LastRunSnapshot {
  const s = m.snapshot;
  return {
    file,
    manager: m.manager,
    pragmas: m.pragmas,
    batching: m.batching,
    at: new Date(s?.at ?? m.writtenAt).toISOString(),
    startedAt: new Date(m.startedAt).toISOString(),
    finishedAt: iso(m.finishedAt),
    state: runStateOf(m, holder),
    lockErrors: m.lock.lockErrors,
    busyRetries: m.lock.busyRetries,
    breaker: s
      ? {
          state: s.breaker.state,
          opens: s.breaker.opens,
          rejections: s.breaker.rejections,
          failures: s.breaker.failures,
          successes: s.breaker.successes,
          timeInOpenMs: s.breaker.timeInOpenMs,
          openedAt: iso(s.breaker.openedAt ?? null),
        }
      : null,
    deferred: s ? { ...s.deferred } : null,
    writer: s ? { restarts: s.writer.restarts, lastRestartAt: iso(s.writer.lastRestartAt ?? null) } : null,
    batchFill: s
      ? {
          avgBatchSize: s.batch.avgBatchSize,
          maxBatchSize: s.batch.maxBatchSize,
          fill: s.batch.maxBatchSize > 0 ? s.batch.avgBatchSize / s.batch.maxBatchSize : 0,
          batches: s.batch.batches,
          rows: s.batch.rows,
          ...(s.batch.byReason ? { byReason: s.batch.byReason } : {}),
        }
      : null,
    alerts: s ? [...s.alerts] : [],
    schedule: s?.collection?.schedule ?? null,
    rejectedTrades:
      s?.collection?.tradesRejected === undefined
        ? null
        : {
            total: s.collection.tradesRejected,
            byPool: s.collection.pools
              .filter((p) => (p.rejected ?? 0) > 0)
              .map((p) => ({ pool: p.pool, rejected: p.rejected ?? 0 })),
          },
    ...(m.note !== undefined ? { note: m.note } : {}),
  };
}

/**
 * The last run of the collector beside `databasePath`: null when no run left a metrics file. Throws
 * MetricsFileError when the file is there but unreadable (doctor turns that into a note).
 */
export function readLastRun(databasePath: string, holder: LockHolder | null): LastRunSnapshot | null {
  const file = metricsFilePath(databasePath);
  const m = readMetricsFile(file);
  return m ? lastRunFrom(file, m, holder) : null;
}

/** What doctor notes about the last run: a run that died, and the alerts it left active. */
export function lastRunNotes(lastRun: LastRunSnapshot): string[] {
  const notes: string[] = [];
  if (lastRun.state === 'died')
    notes.push(
      `the last run did not finish cleanly (killed or crashed; nothing writes the database now): its figures stop at ${lastRun.at}`,
    );
  if (lastRun.alerts.length > 0)
    notes.push(`alerts active in the last run: ${lastRun.alerts.map((a) => a.name).join(', ')}`);
  return notes;
}
