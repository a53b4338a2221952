// The report's sections read from the files a run leaves beside the database: the last run's metrics snapshot,
// the deferred queue's spool and the holder of the database lock, with the notes they call for.

import { defaultSpoolPath } from '../spool/spool-location.ts';
import { lockHolder, lockPathFor } from '../storage/sqlite/database-lock.ts';
import type { DatabaseReport, DatabaseReportOptions } from '../storage/sqlite/doctor-sections.ts';
import { type LastRunSnapshot, readLastRun } from './last-run.ts';
import { readSpoolReport } from './spool-report.ts';

/** The files a run leaves beside the database: its metrics snapshot and the deferred queue's spool. */
export function addCollectorFiles(report: DatabaseReport, options: DatabaseReportOptions): void {
  const notes: string[] = [];
  let lastRun: LastRunSnapshot | null = null;
  if (options.lastRun !== undefined) lastRun = options.lastRun;
  else {
    try {
      lastRun = readLastRun(report.path);
    } catch (err) {
      notes.push(`last run metrics not shown: ${(err as Error).message}`);
    }
  }
  const spool = options.spool !== undefined ? options.spool : readSpoolReport(defaultSpoolPath(report.path));
  const writer = options.writerProcess ?? lockHolder(lockPathFor(report.path));

  if (report.journalMode !== 'wal') {
    const i = report.notes.findIndex((n) => n.startsWith('journal_mode is '));
    // The configuration rollback keeps the rollback journal on purpose; the next run will not switch it.
    if (i >= 0 && lastRun?.pragmas === 'default') {
      report.notes[i] =
        `journal_mode is ${report.journalMode}: the last run used pragmas 'default' (the configuration rollback), which keeps SQLite's rollback journal`;
    }
  }
  if (lastRun) {
    if (lastRun.finishedAt === null && writer.state === 'free') {
      notes.push(
        `the last run did not finish cleanly (killed or crashed; nothing writes the database now): its figures stop at ${lastRun.at}`,
      );
    } else if (lastRun.finishedAt === null && writer.state === 'unknown') {
      notes.push(`the last run's metrics (${lastRun.at}) are from a run that is still going or did not finish cleanly`);
    }
    if (lastRun.alerts.length > 0)
      notes.push(`alerts active in the last run: ${lastRun.alerts.map((a) => a.name).join(', ')}`);
  }
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
