// `gecko-collector import FILE`: loads trades from the old collector's CSV export, NDJSON, a saved
// GeckoTerminal response or the tool's own Parquet export into the database through the write funnel, and
// reports every rejected record.

import path from 'node:path';
import { databasePathFromUrl } from '../config/database-url.ts';
import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { LockOptimizedDatabaseManager } from '../funnel/lock-optimized-manager.ts';
import { detectImportFormat } from '../import/format-detect.ts';
import { ImportFailedError } from '../import/import-errors.ts';
import { type ImportProgress, runImport } from '../import/import-runner.ts';
import { IMPORT_FORMATS, type ImportFormat, type ImportItem, type ImportSummary } from '../import/import-source.ts';
import { readJsonApiFile } from '../import/jsonapi-file-reader.ts';
import { readLegacyCsv } from '../import/legacy-csv-reader.ts';
import { readLines } from '../import/line-reader.ts';
import { readNdjson } from '../import/ndjson-reader.ts';
import { readParquet } from '../import/parquet-reader.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './cli-error.ts';
import { flagOptions, loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, choiceFlag, intFlag, parseFlags } from './command.ts';
import { commonSpecs, type LogFormat } from './common-specs.ts';
import { routeCliLogs } from './log-output.ts';
import { StatusLine } from './terminal-status.ts';

export const DEFAULT_IMPORT_BATCH = 500;

const HELP = `usage: gecko-collector import FILE [flags]

Imports trades into the database through the write funnel (the one writer thread). Trades are keyed by id,
so trades already stored count as duplicates and importing a file again is harmless. Every batch that was
acknowledged is committed: if an import stops halfway, re-run it to finish. A trade's created_at (the CSV
column, or created_at/createdAt in NDJSON) is kept when the input has one, else the import time is stored. A pool
the trades name without a pools row gets one in the same transaction (address from the pool id, dex
unknown-dex-<network>), so every trade's foreign key holds.

  FILE                   one of:
                           csv      the old collector's CSV export of the trades table (header line
                                    id,pool_id,block_number,tx_hash,tx_from_address,from_token_amount,
                                    to_token_amount,price_usd,volume_usd,side,block_timestamp
                                    [,created_at,...])
                           ndjson   one trade object per line (TradeRecord or trades column names)
                           jsonapi  a saved GeckoTerminal /pools/{address}/trades response
                           parquet  gecko-collector's own Parquet export (export --format parquet): each
                                    decimal from its exact text, times to the microsecond
  --db PATH|URL          database file: a path or sqlite:///gecko_data.db (default: sqlite:///gecko_data.db,
                         or GECKO_DB_URL, or database.url in --config FILE); created if missing; or a
                         PostgreSQL server, postgresql://user@host:port/database[?schema=name] (tables created
                         if missing; the spool then sits in the state directory, as for collect:
                         ~/.local/state/gecko-collector/pg-<host>-<port>-<db>.spool)
  --config FILE          YAML settings (also GECKO_CONFIG; see 'gecko-collector collect --help')
  --format FORMAT        csv | ndjson | jsonapi | parquet (default: from the extension, else the content)
  --network NETWORK      with --pool: the pool a jsonapi file belongs to (the response does not say)
  --pool ADDRESS
  --batch N              trades per write batch (default ${DEFAULT_IMPORT_BATCH})
  --json                 print one JSON object instead of text
  --log-level L          (default: warn on a terminal, else info; GECKO_LOG_LEVEL)
  --log-format F         pretty or json (default: pretty on a terminal, else json; GECKO_LOG_FORMAT)

On a terminal a progress line on stderr shows the records read and stored so far. Then it prints
"imported N, duplicates N, rejected N" and one "line L: <id>: <reason>" per rejected record.
Exit status: 0 when the import ran (even with rejected lines), 1 when it failed, 2 for bad flags.`;

export interface ImportCommandResult extends ImportSummary {
  ok: boolean;
  file: string;
  format: ImportFormat;
  database: string;
  elapsedMs: number;
  /** Set when the import stopped early; the counts above are what was committed before that. */
  error?: string;
}

function sourceFor(
  file: string,
  format: ImportFormat,
  network: string | undefined,
  pool: string | undefined,
): AsyncIterable<ImportItem> {
  switch (format) {
    case 'csv':
      return readLegacyCsv(readLines(file));
    case 'ndjson':
      return readNdjson(readLines(file));
    case 'jsonapi':
      return readJsonApiFile(file, { network: network!, poolAddress: pool! });
    case 'parquet':
      return readParquet(file);
  }
}

/** The records again, with the one already read in front. */
async function* prepend(
  first: IteratorResult<ImportItem>,
  rest: AsyncIterator<ImportItem>,
): AsyncGenerator<ImportItem> {
  try {
    if (first.done) return;
    yield first.value;
    for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
  } finally {
    // Stopping early (a failed write) must still close the file.
    await rest.return?.();
  }
}

function checkPoolFlags(format: ImportFormat, network: string | undefined, pool: string | undefined): void {
  if (format === 'jsonapi') {
    if (!network || !pool) {
      throw new UsageError('a jsonapi file needs --network and --pool (a trades response does not name its pool)');
    }
    if (!/^[a-z0-9_-]+$/i.test(network))
      throw new UsageError(`--network must be a network id like solana, got ${JSON.stringify(network)}`);
  } else if (network !== undefined || pool !== undefined) {
    throw new UsageError(`--network and --pool apply only to jsonapi files; ${format} rows carry their own pool_id`);
  }
}

/** How often the progress line is redrawn at most (the first acknowledged batch draws it at once). */
const PROGRESS_EVERY_MS = 500;

/**
 * A live line on stderr while a long import runs, when stderr is a terminal (stdout keeps the result alone,
 * so `--json` output stays one object); logs print above it. `done()` clears it before the result is printed.
 */
function progressLine(status: StatusLine, started: number): { update: (p: ImportProgress) => void; done: () => void } {
  let last = -Infinity;
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    update(p) {
      const now = performance.now();
      if (now - last < PROGRESS_EVERY_MS) return;
      last = now;
      const rate = Math.round(p.records / Math.max(0.001, (now - started) / 1000));
      status.show(
        `import: ${n(p.records)} read, ${n(p.imported)} imported, ${n(p.duplicates)} duplicates, ${n(p.rejected)} rejected` +
          `${p.deferred ? `, ${n(p.deferred)} deferred` : ''} (${n(rate)}/s)`,
      );
    },
    done: () => status.clear(),
  };
}

function writeText(io: CliIo, r: ImportCommandResult): void {
  const lines = [`imported ${r.imported}, duplicates ${r.duplicates}, rejected ${r.rejected}`];
  if (r.deferred > 0) {
    lines.push(
      `deferred ${r.deferred}: the database did not take them now; they are kept in the spool and written when it does`,
    );
  }
  for (const j of r.rejects) lines.push(`${j.at}: ${j.id}: ${j.reason}`);
  if (r.rejectsOmitted > 0) lines.push(`... and ${r.rejectsOmitted} more rejected records not listed`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import trades from a CSV export, NDJSON, a saved GeckoTerminal response or a Parquet export',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const specs = commonSpecs({ tty: io.stderr.isTTY === true });
    const { values, positionals } = parseFlags(
      argv,
      {
        ...flagOptions(specs, []),
        format: { type: 'string' },
        network: { type: 'string' },
        pool: { type: 'string' },
        batch: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length === 0) throw new UsageError('missing FILE to import');
    if (positionals.length > 1)
      throw new UsageError(`expected one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
    const file = path.resolve(positionals[0]!);
    const { settings } = loadSettings(specs, values);
    const url = settings.get<string>('db')!;
    // A PostgreSQL server is named by its URL (password masked), a file by its path.
    const database = isPostgresUrl(url) ? maskPassword(url) : databasePathFromUrl(url);
    const explicit =
      values.format === undefined
        ? undefined
        : choiceFlag<ImportFormat>('format', values.format, 'csv', IMPORT_FORMATS);
    const batchSize = intFlag('batch', values.batch, DEFAULT_IMPORT_BATCH, 1, 50_000);
    if (explicit) checkPoolFlags(explicit, values.network, values.pool);

    // The file is opened (and its format settled) before the database: a typo in FILE creates no database.
    const format = await detectImportFormat(file, explicit);
    checkPoolFlags(format, values.network, values.pool);

    const started = performance.now();
    // Reading the first record settles header and document errors before the database is opened or created.
    const records = sourceFor(file, format, values.network, values.pool)[Symbol.asyncIterator]();
    const first = await records.next();
    const status = new StatusLine(io.stderr);
    const restoreLogs = routeCliLogs(status, {
      level: settings.get<string>('log-level')!,
      format: settings.get<LogFormat>('log-format')!,
      colors: status.live && !process.env.NO_COLOR,
    });
    try {
      const json = values.json === true;
      const given = positionals[0]!;
      return await importInto(
        io,
        { url, database, file, given, format, batchSize, started, status, json },
        first,
        records,
      );
    } finally {
      restoreLogs();
    }
  },
};

async function importInto(
  io: CliIo,
  run: {
    url: string;
    database: string;
    file: string;
    /** FILE as the user wrote it. */
    given: string;
    format: ImportFormat;
    batchSize: number;
    started: number;
    status: StatusLine;
    json: boolean;
  },
  first: IteratorResult<ImportItem>,
  records: AsyncIterator<ImportItem>,
): Promise<number> {
  const { url, database, file, format, batchSize, started } = run;
  {
    const manager = new LockOptimizedDatabaseManager({ url });
    try {
      await manager.initialize();
    } catch (err) {
      await records.return?.();
      throw err;
    }
    let result: ImportCommandResult;
    const progress = progressLine(run.status, started);
    try {
      const summary = await runImport(prepend(first, records), manager, { batchSize, onProgress: progress.update });
      result = { ok: true, file, format, database, ...summary, elapsedMs: 0 };
    } catch (err) {
      if (!(err instanceof ImportFailedError)) throw err;
      result = { ok: false, file, format, database, ...err.summary, elapsedMs: 0, error: err.message };
    } finally {
      progress.done();
      // Waits for every batch sent to be acknowledged before the writer stops.
      await manager.close();
    }
    result.elapsedMs = Math.round(performance.now() - started);

    if (run.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else writeText(io, result);
    if (!result.ok) {
      io.stderr.write(
        `gecko-collector import: ${result.error}\n` +
          `  committed before the stop: imported ${result.imported}, duplicates ${result.duplicates}; those stay stored, ` +
          `and importing ${run.given} again skips them as duplicates\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  }
}
