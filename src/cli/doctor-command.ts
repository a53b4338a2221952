// `gecko-collector doctor`: reports the state of a database (settings, integrity, tables, per-pool cursors
// and gaps), the deferred queue's spool and the last run's metrics, read-only; it never writes or creates them.

import fs from 'node:fs';
import { outputWidth } from '../common/text-fit.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { databasePathFromUrl } from '../config/database-url.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import { coverageSection } from '../doctor/coverage-report.ts';
import { repairCursorsNow } from '../doctor/cursor-report.ts';
import { buildDatabaseReport, buildPgReport, reportIsHealthy } from '../doctor/database-report.ts';
import { readLatestReconciles, renderReconciles } from '../doctor/reconcile-report.ts';
import { renderReport } from '../doctor/render-report.ts';
import { checkServed, type ServedCheck, servedLine } from '../doctor/served-check.ts';
import type { PostgresSettings } from '../protocol/writer-settings.ts';
import { pgCollectionReads } from '../storage/postgres/collection-reads.ts';
import { sqliteCollectionReads } from '../storage/sqlite/collection-reads.ts';
import { openReadOnly } from '../storage/sqlite/read-only-database.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './cli-error.ts';
import { loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, intFlag, parseFlags } from './command.ts';
import { commonSpecs } from './common-specs.ts';

const HELP = `usage: gecko-collector doctor [flags]

Runs the debug checks on a database, read-only (safe while a collector is running):
journal mode, busy timeout, cache size, synchronous, integrity check, foreign key check, schema version, rows per table,
database and WAL size, and per pool the cursor, newest trade, trade count and recorded gaps. Beside the
database it reads the deferred queue's spool (<db>.spool: batches waiting to be replayed, oldest age) and
the last run's metrics (<db>.metrics.json: breaker, deferred queue, writer restarts, lock errors and busy
retries, batch fill, active alerts, with the time the figures were taken).

  --db PATH|URL  database file: a path or sqlite:///gecko_data.db (default: sqlite:///gecko_data.db, or
               GECKO_DB_URL, or database.url in --config FILE); or a PostgreSQL server,
               postgresql://user@host:port/database[?schema=name]: server version, tables and sizes, the
               same pool and gap report, which process holds which pool's lease since when, and the
               spool and last-run files of this host in the state directory (those that exist)
  --served SRC   also say whether every trade a standalone simulator served is stored: SRC is its
               --served-file, or its URL while it runs (gecko-collector simulate)
  --config FILE  YAML settings (also GECKO_CONFIG): the database a collector's config names
  --gaps N     list the N newest gaps (default 10)
  --quick      PRAGMA quick_check instead of the full integrity_check: much faster on a big file, and
               a shorter read (while a collector runs, a long read holds back WAL checkpoints)
  --json       print one JSON object instead of text
  --wide       every column, lines as long as they take (default: fit the terminal, or 80 columns)
  --repair-cursors
               the one doctor flag that writes: puts every pool cursor that is in the future (beyond the
               5-minute clock-skew allowance) or names a trade that is not stored back on the newest stored
               trade of its pool, and prints each change; refused while a run writes the database (collect
               and import also do it when they start)

Opening a WAL database (or spool) read-only may leave empty -wal/-shm files beside it (SQLite needs them
to read); the database and spool files themselves are never written.
Exit status: 0 healthy, 1 when the integrity or foreign key check fails, a cursor needs repair, or the file
is missing or unreadable, 2 for bad flags.`;

async function servedOnPg(source: string, settings: PostgresSettings): Promise<ServedCheck> {
  const reads = pgCollectionReads(settings, 1);
  try {
    return await checkServed(source, reads);
  } finally {
    await reads.close();
  }
}

async function servedOnSqlite(source: string, path: string): Promise<ServedCheck> {
  const db = openReadOnly(path);
  try {
    return await checkServed(
      source,
      sqliteCollectionReads(
        async (fn) => fn(db),
        () => undefined,
      ),
    );
  } finally {
    db.close();
  }
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check a database read-only: settings, integrity, tables, cursors, gaps, spool, last run',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      db: { type: 'string' },
      config: { type: 'string' },
      gaps: { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      wide: { type: 'boolean' },
      served: { type: 'string' },
      'repair-cursors': { type: 'boolean' },
    });
    // Only the database setting: doctor logs nothing, and reads the same database a collector with this
    // environment or config file writes.
    const dbSpec = commonSpecs({ tty: false }).filter((s) => s.key === 'db');
    const { settings } = loadSettings(dbSpec, { db: values.db, config: values.config });
    const url = settings.get<string>('db');
    const width = outputWidth(io.stdout, values.wide === true);
    const gapLimit = intFlag('gaps', values.gaps, 10, 0, 10_000);
    if (isPostgresUrl(url)) {
      if (values['repair-cursors'])
        throw new UsageError(
          '--repair-cursors is for SQLite files: on PostgreSQL the writer repairs cursors when a run starts',
        );
      const s = writerSettingsFrom(resolveDatabaseConfig({ url }));
      const report = await buildPgReport(s.postgres!, s.path, { gapLimit });
      const served = values.served === undefined ? undefined : await servedOnPg(values.served, s.postgres!);
      const reconciles = await readLatestReconciles(url!);
      io.stdout.write(
        `${values.json ? JSON.stringify({ ...report, served, reconciles }) : renderReport(report, [coverageSection, () => renderReconciles(reconciles)], width)}\n`,
      );
      if (served && !values.json) io.stdout.write(`${servedLine(served)}\n`);
      return (served && !served.ok) || report.badCursors.length > 0 ? EXIT_FAILURE : EXIT_OK;
    }
    const path = databasePathFromUrl(url);
    if (values['repair-cursors']) {
      io.stdout.write(`${(await repairCursorsNow(path)).join('\n')}\n`);
      return EXIT_OK;
    }
    const report = buildDatabaseReport(path, { gapLimit, quick: values.quick === true });
    const served = values.served === undefined ? undefined : await servedOnSqlite(values.served, path);
    const reconciles = fs.existsSync(path) ? await readLatestReconciles(url!) : [];
    io.stdout.write(
      `${values.json ? JSON.stringify({ ...report, served, reconciles }) : renderReport(report, [coverageSection, () => renderReconciles(reconciles)], width)}\n`,
    );
    if (served && !values.json) io.stdout.write(`${servedLine(served)}\n`);
    return reportIsHealthy(report) && (!served || served.ok) ? EXIT_OK : EXIT_FAILURE;
  },
};
