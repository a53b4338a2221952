// The `doctor` report: the migration guide's debug commands (journal mode, busy timeout, cache, integrity,
// row counts, WAL size...) plus collection health per pool, read on a read-only connection only.

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DEFAULT_DATABASE_CONFIG, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { urlFromDatabasePath } from '../config/database-url.ts';
import { DatabaseOpenError } from '../errors.ts';
import type { ConnectionDescription } from '../protocol/messages.ts';
import { defaultSpoolPath } from '../spool/deferred-queue.ts';
import { type LockHolder, lockHolder, lockPathFor } from '../sqlite/database-lock.ts';
import { detectSchemaFlavor, SCHEMA_VERSION, type SchemaFlavor } from '../sqlite/schema-migrations.ts';
import { applyReadConnectionSettings, describeConnection } from '../sqlite/sqlite-settings.ts';
import { sqliteVersion } from '../sqlite/sqlite-version.ts';
import { type LastRunSnapshot, readLastRun } from './last-run.ts';
import { readSpoolReport, type SpoolReport } from './spool-report.ts';

export type { LastRunSnapshot } from './last-run.ts';
export type { SpoolReport } from './spool-report.ts';

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

export interface FileSizes {
  databaseBytes: number;
  /** Size of the `-wal` file before doctor opened the database; null when there was none. */
  walBytes: number | null;
  pageSize: number;
  pageCount: number;
  freelistPages: number;
}

export interface PoolCursor {
  lastTradeId: string | null;
  lastTradeTimestamp: string | null;
  lastPolledAt: string | null;
  updatedAt: string | null;
}

export interface PoolReport {
  poolId: string;
  /** From `collection_state`; null when the collector keeps no cursor for the pool. */
  cursor: PoolCursor | null;
  /** Newest `block_timestamp` stored for the pool (as stored: UTC `YYYY-MM-DD HH:MM:SS.ffffff`). */
  lastTradeTimestamp: string | null;
  tradeCount: number;
  gapCount: number;
}

export interface GapReport {
  id: number;
  poolId: string;
  gapStart: string;
  gapEnd: string;
  detectedAt: string;
  tradesInResponse: number;
}

export interface GapsReport {
  count: number;
  /** Newest first, at most the requested number. */
  latest: GapReport[];
}

/**
 * Optional sections other parts of the project add to the report (writer, breaker and deferred-queue
 * metrics, alerts...). Add an optional field here and a SectionRenderer for the text output; JSON output
 * carries every field as is, and readers of older reports simply find the field missing.
 */
export interface DoctorReportSections {
  /** The deferred queue now, read-only from `<db>.spool`; null when there is no spool file. */
  spool?: SpoolReport | null;
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
  /** PRAGMA user_version: the schema migration the file is at. */
  userVersion: number;
  /** The version this build migrates a database to. */
  schemaVersion: number;
  /** null when the file has no trades table. */
  schemaFlavor: SchemaFlavor | null;
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

/** Opens `path` read-only; never creates it (a missing file is a DatabaseOpenError naming the path). */
export function openReadOnly(path: string): Database.Database {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatabaseOpenError(
      code === 'ENOENT'
        ? `database file not found: ${path}`
        : `cannot open database file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!stat.isFile()) throw new DatabaseOpenError(`not a database file: ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new DatabaseOpenError(`cannot open database file ${path} read-only: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db.close();
    throw new DatabaseOpenError(`cannot read ${path} as a SQLite database: ${(err as Error).message}`, { cause: err });
  }
  return db;
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

/** The files a run leaves beside the database: its metrics snapshot and the deferred queue's spool. */
function addCollectorFiles(report: DatabaseReport, options: DatabaseReportOptions): void {
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

  const userVersion = pragma<number>('user_version');
  const journalMode = pragma<string>('journal_mode');
  if (!has.has('trades'))
    notes.push('no trades table: not a gecko-collector database, or never opened by the collector');
  else if (userVersion < SCHEMA_VERSION) {
    notes.push(
      `schema version ${userVersion} < ${SCHEMA_VERSION}: the collector migrates the file (adds, never rewrites) the next time it opens it`,
    );
  }
  if (journalMode !== 'wal')
    notes.push(`journal_mode is ${journalMode}: the collector switches the file to WAL when it opens it`);

  const pools = poolReports(db, has, notes);
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
    userVersion,
    schemaVersion: SCHEMA_VERSION,
    schemaFlavor: has.has('trades') ? detectSchemaFlavor(db) : null,
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
    // Filled from the files beside the database by addCollectorFiles.
    lockErrors: 0,
    lastRun: null,
    writerProcess: { state: 'free' },
    notes,
  };
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(
    (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name),
  );
}

function poolReports(db: Database.Database, has: Set<string>, notes: string[]): PoolReport[] {
  const pools = new Map<string, PoolReport>();
  const pool = (poolId: string): PoolReport => {
    let p = pools.get(poolId);
    if (!p) {
      p = { poolId, cursor: null, lastTradeTimestamp: null, tradeCount: 0, gapCount: 0 };
      pools.set(poolId, p);
    }
    return p;
  };
  if (has.has('trades')) {
    const cols = columnsOf(db, 'trades');
    if (cols.has('pool_id')) {
      const last = cols.has('block_timestamp') ? 'max(block_timestamp)' : 'NULL';
      // GROUP BY pool_id walks the (pool_id, block_timestamp) index when the collector has added it.
      const rows = db
        .prepare(`SELECT pool_id AS poolId, count(*) AS n, ${last} AS last FROM trades GROUP BY pool_id`)
        .all() as {
        poolId: unknown;
        n: number;
        last: unknown;
      }[];
      for (const r of rows) {
        const p = pool(String(r.poolId));
        p.tradeCount = r.n;
        p.lastTradeTimestamp = r.last === null ? null : String(r.last);
      }
    }
  }
  if (has.has('collection_state')) {
    const rows = db
      .prepare('SELECT pool_id, last_trade_id, last_trade_timestamp, last_polled_at, updated_at FROM collection_state')
      .all() as {
      pool_id: string;
      last_trade_id: string | null;
      last_trade_timestamp: string | null;
      last_polled_at: string | null;
      updated_at: string | null;
    }[];
    for (const r of rows) {
      pool(r.pool_id).cursor = {
        lastTradeId: r.last_trade_id,
        lastTradeTimestamp: r.last_trade_timestamp,
        lastPolledAt: r.last_polled_at,
        updatedAt: r.updated_at,
      };
    }
  } else if (has.has('trades')) {
    notes.push('no collection_state table: no per-pool cursors yet (the collector creates it)');
  }
  if (has.has('collection_gaps')) {
    const rows = db.prepare('SELECT pool_id AS poolId, count(*) AS n FROM collection_gaps GROUP BY pool_id').all() as {
      poolId: string;
      n: number;
    }[];
    for (const r of rows) pool(r.poolId).gapCount = r.n;
  }
  return [...pools.values()].sort((a, b) => (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0));
}

function gapsReport(db: Database.Database, has: Set<string>, limit: number): GapsReport {
  if (!has.has('collection_gaps')) return { count: 0, latest: [] };
  const count = (db.prepare('SELECT count(*) AS n FROM collection_gaps').get() as { n: number }).n;
  const latest = db
    .prepare(
      `SELECT id, pool_id AS poolId, gap_start AS gapStart, gap_end AS gapEnd, detected_at AS detectedAt, trades_in_response AS tradesInResponse
       FROM collection_gaps ORDER BY detected_at DESC, id DESC LIMIT ?`,
    )
    .all(limit) as GapReport[];
  return { count, latest };
}

/** Whether the report shows a problem a script should notice (non-zero exit). */
export function reportIsHealthy(report: DatabaseReport): boolean {
  return report.integrity === 'ok';
}
