// doctor's sections on an SQLite file: the debug checks (journal mode, busy timeout, cache,
// integrity, row counts, WAL size...) plus collection health per pool (collection-health.ts) and the cursors to
// repair, read on a read-only connection in one read snapshot. src/doctor/database-report.ts adds the files a run
// leaves beside the database.

import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { DEFAULT_DATABASE_CONFIG, resolveDatabaseConfig, writerSettingsFrom } from '../../config/database-config.ts';
import { urlFromDatabasePath } from '../../config/database-url.ts';
import type { ConnectionDescription } from '../../protocol/messages.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, latestAcceptedTime } from '../../trades/trade-validation.ts';
import {
  type BadCursor,
  type DoctorSectionsOptions,
  type GapsReport,
  MEMBERSHIP_LIMIT,
  type MembershipReport,
  type PoolReport,
} from '../doctor-sections.ts';
import { gapsReport, poolReports } from './collection-health.ts';
import { applyReadConnectionSettings, describeConnection } from './connection-settings.ts';
import { sqliteCursorStore } from './cursor-repair.ts';
import { addPoolCoverage } from './pool-coverage.ts';
import { openReadOnly } from './read-only-database.ts';
import { SCHEMA_VERSION, type TradesLayout, tradesLayout } from './schema-migrations.ts';
import { sqliteVersion } from './sqlite-version.ts';

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

/** What an SQLite file tells doctor about itself. */
export interface SqliteSections {
  engine: 'sqlite';
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
  /** When pools joined and left the pool set, latest change first; [] without the table. */
  membership: MembershipReport[];
  /** Cursors in the future or on a trade that is not stored. */
  badCursors: BadCursor[];
  /** Things worth knowing that are not failures (e.g. a legacy file the collector has not opened yet). */
  notes: string[];
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

/** The sections. Every query runs on one read-only connection inside one read transaction (one snapshot). */
export function sqliteDoctorSections(path: string, options: DoctorSectionsOptions = {}): SqliteSections {
  const gapLimit = options.gapLimit ?? 10;
  // Measured before opening: a read-only open of a WAL file may create an empty -wal/-shm.
  const walBytes = fileSize(`${path}-wal`);
  const db = openReadOnly(path);
  let report: SqliteSections;
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
  return report;
}

function collect(
  db: Database.Database,
  path: string,
  walBytes: number | null,
  gapLimit: number,
  options: DoctorSectionsOptions,
  reader: ConnectionDescription,
): SqliteSections {
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
  addPoolCoverage(db, has, pools, Date.now());
  const cursorsToRepair = badCursors(db, has);
  const gaps = gapsReport(db, has, gapLimit);

  return {
    engine: 'sqlite',
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
    membership: has.has('pool_membership')
      ? (db
          .prepare(
            `SELECT pool_id AS poolId, source, joined_at AS joinedAt, left_at AS leftAt FROM pool_membership
             ORDER BY max(joined_at, coalesce(left_at, '')) DESC, pool_id LIMIT ?`,
          )
          .all(MEMBERSHIP_LIMIT) as MembershipReport[])
      : [],
    badCursors: cursorsToRepair,
    notes,
  };
}

/** The bad cursors of an open (read-only) database; [] without the tables. */
function badCursors(db: Database.Database, has: ReadonlySet<string>): BadCursor[] {
  if (!has.has('collection_state') || !has.has('trades')) return [];
  return sqliteCursorStore(db)
    .badCursors(latestAcceptedTime(DEFAULT_MAX_CLOCK_SKEW_MS))
    .map((r) => ({ poolId: r.poolId, lastTradeId: r.id, lastTradeTimestamp: r.timestamp, problem: r.reason }));
}
