// The one doctor report, over either engine: the store's own sections (storage/sqlite/ or storage/postgres/
// doctor-sections.ts, in one read snapshot) and what the files a run leaves beside it say: the last run's metrics
// snapshot, the deferred queue's spool and, on SQLite, the holder of the database lock.

import fs from 'node:fs';
import path from 'node:path';
import type { PostgresSettings } from '../protocol/writer-settings.ts';
import { defaultSpoolPath } from '../spool/spool-location.ts';
import type { DoctorSectionsOptions } from '../storage/doctor-sections.ts';
import { type PgSections, pgDoctorSections } from '../storage/postgres/doctor-sections.ts';
import { type LockHolder, lockHolder, lockPathFor } from '../storage/sqlite/database-lock.ts';
import { type SqliteSections, sqliteDoctorSections } from '../storage/sqlite/doctor-sections.ts';
import { type LastRunSnapshot, lastRunNotes, readLastRun } from './last-run.ts';
import { readSpoolReport, type SpoolReport } from './spool-report.ts';

/** What the files a run leaves beside the store add to its report. */
export interface CollectorFileSections {
  /** The deferred queue now, read-only from its spool; null when there is no spool file. */
  spool: SpoolReport | null;
  /** The last run's figures from its metrics file; null when no run left one. */
  lastRun: LastRunSnapshot | null;
}

export interface DatabaseReport extends SqliteSections, CollectorFileSections {
  /** Lock errors of the last collector run (from lastRun; 0 until a run leaves a metrics snapshot). */
  lockErrors: number;
  /** Whether a collector or import is writing the database now (the holder of `<db>.lock`). */
  writerProcess: LockHolder;
}

export interface PgDatabaseReport extends PgSections, CollectorFileSections {
  /** Where this host's spool and metrics file sit (named after the database). */
  localBase: string;
  /** The spools and metrics file runs on this host left beside `localBase`: only those that exist. */
  localFiles: string[];
}

export interface DatabaseReportOptions extends DoctorSectionsOptions {
  /** Default: read from `<db>.metrics.json` beside the database. */
  lastRun?: LastRunSnapshot | null;
  /** Default: read (read-only) from `<db>.spool` beside the database. */
  spool?: SpoolReport | null;
  /** Default: who holds `<db>.lock` now (lockHolder). */
  writerProcess?: LockHolder;
}

/** doctor on an SQLite file. */
export function buildDatabaseReport(file: string, options: DatabaseReportOptions = {}): DatabaseReport {
  const report: DatabaseReport = {
    ...sqliteDoctorSections(file, options),
    spool: null,
    lastRun: null,
    lockErrors: 0,
    writerProcess: { state: 'free' },
  };
  addCollectorFiles(report, options);
  return report;
}

/** doctor on PostgreSQL; `localBase`: where this host's spool and metrics file sit. */
export async function buildPgReport(
  settings: PostgresSettings,
  localBase: string,
  options: DoctorSectionsOptions = {},
): Promise<PgDatabaseReport> {
  const sections = await pgDoctorSections(settings, options);
  const notes = [...sections.notes];
  let lastRun: LastRunSnapshot | null = null;
  try {
    lastRun = readLastRun(localBase, null);
  } catch (err) {
    notes.push(`last run metrics not shown: ${(err as Error).message}`);
  }
  if (lastRun) notes.push(...lastRunNotes(lastRun));
  const spool = readSpoolReport(`${localBase}.spool`);
  if (spool?.error) notes.push(`spool ${spool.path}: ${spool.error}`);
  else if (spool && spool.batches > 0)
    notes.push(
      `${spool.batches} deferred batch(es) (${spool.rows} rows) wait in ${spool.path}; the next collect or import here replays them`,
    );
  return { ...sections, spool, lastRun, localBase, localFiles: localFilesOf(localBase), notes };
}

/** Spool slots (`<base>.spool`, `<base>.2.spool`, …) and `<base>.metrics.json` that exist. */
function localFilesOf(localBase: string): string[] {
  const dir = path.dirname(localBase);
  const base = path.basename(localBase).replaceAll('.', '\\.');
  const ours = new RegExp(`^${base}(?:\\.\\d+)?\\.spool$|^${base}\\.metrics\\.json$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => ours.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Whether the report shows a problem a script should notice (non-zero exit). */
export function reportIsHealthy(report: DatabaseReport): boolean {
  return report.integrity === 'ok' && report.foreignKeys.length === 0 && (report.badCursors?.length ?? 0) === 0;
}

/** The files a run leaves beside the database: its metrics snapshot and the deferred queue's spool. */
function addCollectorFiles(report: DatabaseReport, options: DatabaseReportOptions): void {
  const notes: string[] = [];
  const writer = options.writerProcess ?? lockHolder(lockPathFor(report.path));
  let lastRun: LastRunSnapshot | null = null;
  if (options.lastRun !== undefined) lastRun = options.lastRun;
  else {
    try {
      lastRun = readLastRun(report.path, writer);
    } catch (err) {
      notes.push(`last run metrics not shown: ${(err as Error).message}`);
    }
  }
  const spool = options.spool !== undefined ? options.spool : readSpoolReport(defaultSpoolPath(report.path));

  if (report.journalMode !== 'wal') {
    const i = report.notes.findIndex((n) => n.startsWith('journal_mode is '));
    // The configuration rollback keeps the rollback journal on purpose; the next run will not switch it.
    if (i >= 0 && lastRun?.pragmas === 'default') {
      report.notes[i] =
        `journal_mode is ${report.journalMode}: the last run used pragmas 'default' (the configuration rollback), which keeps SQLite's rollback journal`;
    }
  }
  if (lastRun) notes.push(...lastRunNotes(lastRun));
  if (spool?.error) notes.push(`spool ${spool.path}: ${spool.error}`);
  else if (spool && spool.batches > 0) {
    notes.push(
      `${spool.batches} deferred batch(es) (${spool.rows} rows) wait in the spool; the next collector run replays them into the database`,
    );
  }

  report.lastRun = lastRun;
  report.writerProcess = writer;
  report.lockErrors = lastRun?.lockErrors ?? 0;
  report.spool = spool;
  report.notes.push(...notes);
}
