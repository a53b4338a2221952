// The `doctor` report: the migration guide's debug commands (journal mode, busy timeout, cache, integrity,
// row counts, WAL size...) plus collection health per pool, read on a read-only connection only. This file
// gathers the database's own facts in one read snapshot; the other sections come from collection-health.ts
// and collector-files.ts.

import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { DEFAULT_DATABASE_CONFIG, resolveDatabaseConfig, writerSettingsFrom } from '../../config/database-config.ts';
import { urlFromDatabasePath } from '../../config/database-url.ts';
import { type GapsReport, gapsReport, type PoolReport, poolReports } from '../../doctor/collection-health.ts';
import { addCollectorFiles } from '../../doctor/collector-files.ts';
import { type BadCursor, badCursors } from '../../doctor/cursor-report.ts';
import type { LastRunSnapshot } from '../../doctor/last-run.ts';
import type { SpoolReport } from '../../doctor/spool-report.ts';
import type { ConnectionDescription } from '../../protocol/messages.ts';
import { applyReadConnectionSettings, describeConnection } from './connection-settings.ts';
import type { LockHolder } from './database-lock.ts';
import { openReadOnly } from './read-only-database.ts';
import { SCHEMA_VERSION, type TradesLayout, tradesLayout } from './schema-migrations.ts';
import { sqliteVersion } from './sqlite-version.ts';

export type { GapReport, GapsReport, PoolCursor, PoolReport } from '../../doctor/collection-health.ts';
export type { LastRunSnapshot } from '../../doctor/last-run.ts';
export type { SpoolReport } from '../../doctor/spool-report.ts';
export { openReadOnly } from './read-only-database.ts';

/** A per-connection setting: what the collector configures on its connections, and what this reader has. */
export interface SettingPair<T> {
  collector: T;
  reader: T;
}

export interface TableRows {
  name: string;
  /** null when the table could not be counted (e.g. a virtual table whose module is not loaded). */
  rows: number | null;
  error?: string;
}

/** Rows of `table` whose foreign key to `parent` points to no row (PRAGMA foreign_key_check, counted). */
export interface ForeignKeyViolations {
  table: string;
  parent: string;
  rows: number;
}

export interface FileSizes {
  databaseBytes: number;
  /** Size of the `-wal` file before doctor opened the database; null when there was none. */
  walBytes: number | null;
  pageSize: number;
  pageCount: number;
  freelistPages: number;
}

/**
 * Optional sections other parts of the project add to the report (writer, breaker and deferred-queue
 * metrics, alerts...). Add an optional field here and a SectionRenderer for the text output; JSON output
 * carries every field as is, and readers of older reports simply find the field missing.
 */
export interface DoctorReportSections {
  /** The deferred queue now, read-only from `<db>.spool`; null when there is no spool file. */
  spool?: SpoolReport | null;
  /** Cursors in the future or on a trade that is not stored (cursor-report.ts). */
  badCursors?: BadCursor[];
}

export interface DatabaseReport extends DoctorReportSections {
  path: string;
  generatedAt: string;
  sqliteVersion: string;
  /** PRAGMA journal_mode: a property of the file ('wal' once the collector has opened it, 'delete' for a legacy file). */
  journalMode: string;
  busyTimeoutMs: SettingPair<number>;
  /** PRAGMA cache_size as SQLite reports it (negative = KiB). */
  cacheSize: SettingPair<number>;
  synchronous: SettingPair<string>;
  /** 'ok', or the messages of PRAGMA integrity_check (quick_check with `quick`). */
  integrity: 'ok' | string[];
  integrityCheck: 'full' | 'quick';
  /** PRAGMA foreign_key_check counted per table and parent; empty when every reference holds. */
  foreignKeys: ForeignKeyViolations[];
  /** PRAGMA user_version: the schema migration the file is at. */
  userVersion: number;
  /** The version this build migrates a database to. */
  schemaVersion: number;
  /** How the trades amounts are declared ('text': the former layout, rebuilt when the collector next opens it); null when the file has no trades table. */
  schemaFlavor: TradesLayout | null;
  tables: TableRows[];
  files: FileSizes;
  pools: PoolReport[];
  gaps: GapsReport;
  /** Lock errors of the last collector run (from lastRun; 0 until a run leaves a metrics snapshot). */
  lockErrors: number;
  /** The last run's figures from `<db>.metrics.json`; null when no run left one. */
  lastRun: LastRunSnapshot | null;
  /** Whether a collector or import is writing the database now (the holder of `<db>.lock`). */
  writerProcess: LockHolder;
  /** Things worth knowing that are not failures (e.g. a legacy file the collector has not opened yet). */
  notes: string[];
}

export interface DatabaseReportOptions {
  /** How many of the newest gaps to list (default 10). */
  gapLimit?: number;
  /** PRAGMA quick_check instead of the full integrity_check (much faster on a big file). */
  quick?: boolean;
  /** Default: read from `<db>.metrics.json` beside the database. */
  lastRun?: LastRunSnapshot | null;
  /** Default: read (read-only) from `<db>.spool` beside the database. */
  spool?: SpoolReport | null;
  /** Default: who holds `<db>.lock` now (lockHolder). */
  writerProcess?: LockHolder;
}

function fileSize(path: string): number | null {
  try {
    return fs.statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Builds the report. Every query runs on one read-only connection inside one read transaction (one snapshot). */
export function buildDatabaseReport(path: string, options: DatabaseReportOptions = {}): DatabaseReport {
  const gapLimit = options.gapLimit ?? 10;
  // Measured before opening: a read-only open of a WAL file may create an empty -wal/-shm.
  const walBytes = fileSize(`${path}-wal`);
  const db = openReadOnly(path);
  let report: DatabaseReport;
  try {
    const settings = writerSettingsFrom(resolveDatabaseConfig({ url: urlFromDatabasePath(path) }));
    applyReadConnectionSettings(db, settings);
    const reader = describeConnection(db);
    db.exec('BEGIN');
    try {
      report = collect(db, path, walBytes, gapLimit, options, reader);
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
  addCollectorFiles(report, options);
  return report;
}

function collect(
  db: Database.Database,
  path: string,
  walBytes: number | null,
  gapLimit: number,
  options: DatabaseReportOptions,
  reader: ConnectionDescription,
): DatabaseReport {
  const pragma = <T>(name: string) => db.pragma(name, { simple: true }) as T;
  const notes: string[] = [];
  const tableNames = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]
  ).map((r) => r.name);
  const has = new Set(tableNames);

  const tables: TableRows[] = tableNames.map((name) => {
    try {
      return { name, rows: (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n };
    } catch (err) {
      return { name, rows: null, error: (err as Error).message };
    }
  });

  const quick = options.quick === true;
  const messages = (db.pragma(quick ? 'quick_check' : 'integrity_check') as Record<string, string>[]).map((r) =>
    String(Object.values(r)[0]),
  );
  const integrity: 'ok' | string[] = messages.length === 1 && messages[0] === 'ok' ? 'ok' : messages;

  const foreignKeys = db
    .prepare(
      'SELECT "table" AS "table", parent, count(*) AS rows FROM pragma_foreign_key_check GROUP BY "table", parent ORDER BY "table", parent',
    )
    .all() as ForeignKeyViolations[];

  const userVersion = pragma<number>('user_version');
  const journalMode = pragma<string>('journal_mode');
  if (!has.has('trades'))
    notes.push('no trades table: not a gecko-collector database, or never opened by the collector');
  else if (userVersion < SCHEMA_VERSION) {
    notes.push(
      `schema version ${userVersion} < ${SCHEMA_VERSION}: the collector migrates the file the next time it opens it`,
    );
  }
  if (tradesLayout(db) === 'text')
    notes.push(
      'trades amounts are stored as TEXT (the former layout): the collector rebuilds them as NUMERIC with their exact text in *_exact columns the next time it opens the file',
    );
  if (journalMode !== 'wal')
    notes.push(`journal_mode is ${journalMode}: the collector switches the file to WAL when it opens it`);

  const pools = poolReports(db, has, notes);
  const cursorsToRepair = badCursors(db, has);
  const gaps = gapsReport(db, has, gapLimit);

  return {
    path,
    generatedAt: new Date().toISOString(),
    sqliteVersion: sqliteVersion(db),
    journalMode,
    busyTimeoutMs: { collector: DEFAULT_DATABASE_CONFIG.busyTimeoutMs, reader: reader.busyTimeoutMs },
    cacheSize: { collector: -DEFAULT_DATABASE_CONFIG.cacheSizeKb, reader: reader.cacheSize },
    synchronous: { collector: DEFAULT_DATABASE_CONFIG.synchronous, reader: reader.synchronous },
    integrity,
    integrityCheck: quick ? 'quick' : 'full',
    foreignKeys,
    userVersion,
    schemaVersion: SCHEMA_VERSION,
    schemaFlavor: tradesLayout(db),
    tables,
    files: {
      databaseBytes: fs.statSync(path).size,
      walBytes,
      pageSize: pragma<number>('page_size'),
      pageCount: pragma<number>('page_count'),
      freelistPages: pragma<number>('freelist_count'),
    },
    pools,
    gaps,
    badCursors: cursorsToRepair,
    // Filled from the files beside the database by addCollectorFiles.
    lockErrors: 0,
    lastRun: null,
    writerProcess: { state: 'free' },
    notes,
  };
}

/** Whether the report shows a problem a script should notice (non-zero exit). */
export function reportIsHealthy(report: DatabaseReport): boolean {
  return report.integrity === 'ok' && report.foreignKeys.length === 0 && (report.badCursors?.length ?? 0) === 0;
}
