// `gecko-collector status`: per pool, how fresh, how busy, how often polled and how complete, read-only from
// the database (and the run's breaker, spool and queue from its metrics file when one is beside it); `--watch`
// redraws it every few seconds until Ctrl-C, `--json` prints the report /status.json serves.

import { outputWidth } from '../common/text-fit.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { buildStatusReport, type StatusReport } from '../monitoring/status-report.ts';
import { renderStatus } from '../monitoring/status-text.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import { metricsFilePath, readMetricsFile } from '../run/metrics-file.ts';
import { runStateOf } from '../run/run-state.ts';
import type { PoolStatusReads } from '../storage/pool-status.ts';
import { openPoolStatusReads } from '../storage/pool-status-reader.ts';
import { lockHolder, lockPathFor } from '../storage/sqlite/database-lock.ts';
import { EXIT_OK } from './cli-error.ts';
import { loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, numberFlag, parseFlags } from './command.ts';
import { commonSpecs } from './common-specs.ts';

const DEFAULT_WATCH_S = 5;

const HELP = `usage: gecko-collector status [flags]

Prints, per collected pool: the age of its newest trade, trades per minute (last 10 minutes), the poll
interval and trade rate the schedule chose, coverage (trades stored over the last day against those stored
plus the open gaps' estimated missed trades), open gaps, estimated missed trades and a sparkline of the
day's trades per hour; above them the run's breaker, spool, writer queue and budget plan, from the metrics
file a run keeps beside the database. Read-only: safe while a collector runs. – means not known yet.
A running collect with --metrics-port serves the same figures as a page on / and as /status.json.

  --db PATH|URL   database file or PostgreSQL URL (default: sqlite:///gecko_data.db, or GECKO_DB_URL, or
                  database.url in --config FILE)
  --config FILE   YAML settings (also GECKO_CONFIG): the database a collector's config names
  --watch [S]     redraw every S seconds (default ${DEFAULT_WATCH_S}) until Ctrl-C; on a terminal the screen is cleared
                  each time
  --wide          every column, lines as long as they take (default: fit the terminal, or 80 columns)
  --json          print the report as one JSON object (with --watch, one a line)

Exit status: 0 done (Ctrl-C ends --watch with 0), 1 when the database cannot be read, 2 for bad flags.`;

/** `--watch` with no number after it gets the default: parseArgs wants a value. */
function watchValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--watch') {
      const next = argv[i + 1];
      if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
        out.push(`--watch=${next}`);
        i++;
      } else out.push(`--watch=${DEFAULT_WATCH_S}`);
    } else out.push(arg);
  }
  return out;
}

/** The report now: the database's reads, and the run's figures from its metrics file when there is one. */
export async function statusReport(reads: PoolStatusReads, settings: WriterSettings): Promise<StatusReport> {
  const nowMs = Date.now();
  const rows = await reads.readPools(nowMs);
  let file: ReturnType<typeof readMetricsFile> = null;
  try {
    file = readMetricsFile(metricsFilePath(settings.path));
  } catch {
    // An unreadable metrics file leaves the run out; doctor says what is wrong with it.
  }
  return buildStatusReport({
    nowMs,
    engine: reads.engine,
    database: settings.postgres ? settings.postgres.display : settings.path,
    rows,
    snapshot: file?.snapshot ?? null,
    ...(file ? { state: runStateOf(file, settings.postgres ? null : lockHolder(lockPathFor(settings.path))) } : {}),
    ...(file ? { startedAtMs: file.startedAt } : {}),
  });
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'per pool: freshness, trades per minute, poll interval, coverage, gaps (--watch)',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(watchValue(argv), {
      db: { type: 'string' },
      config: { type: 'string' },
      watch: { type: 'string' },
      wide: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const dbSpec = commonSpecs({ tty: false }).filter((s) => s.key === 'db');
    const { settings } = loadSettings(dbSpec, { db: values.db, config: values.config });
    const writer = writerSettingsFrom(resolveDatabaseConfig({ url: settings.get<string>('db') }));
    const everyS = values.watch === undefined ? undefined : numberFlag('watch', values.watch, DEFAULT_WATCH_S, 0.2);
    const reads = await openPoolStatusReads(writer);
    const tty = io.stdout.isTTY === true;
    const print = async () => {
      const report = await statusReport(reads, writer);
      if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        const text = renderStatus(report, outputWidth(io.stdout, values.wide === true)).join('\n');
        io.stdout.write(everyS !== undefined && tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n${everyS ? '\n' : ''}`);
      }
    };
    try {
      await print();
      if (everyS === undefined) return EXIT_OK;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        while (!stop.signal.aborted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, everyS * 1000);
            stop.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (!stop.signal.aborted) await print();
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return EXIT_OK;
    } finally {
      await reads.close();
    }
  },
};
