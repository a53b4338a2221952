// `gecko-collector prune`: trades of whole UTC days older than --older-than are archived by day (--archive DIR,
// Parquet, read back), their candles kept for `ohlcv`, then deleted in short transactions (safe beside a running
// collect) and the space reclaimed. --dry-run says what would go; --vacuum rewrites an SQLite file once so that
// later prunes give space back to the file system.

import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import { SettingError } from '../config/setting-error.ts';
import { type PruneProgress, type PruneResult, pruneTrades } from '../retention/prune-trades.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import { vacuumIntoIncremental } from '../storage/sqlite/retention-store.ts';
import { EXIT_OK, UsageError } from './cli-error.ts';
import { loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, parseFlags } from './command.ts';
import { commonSpecs } from './common-specs.ts';
import { retentionSpecs } from './long-run-settings.ts';
import { StatusLine } from './terminal-status.ts';

const HELP = `usage: gecko-collector prune --older-than AGE [flags]

Deletes the trades of whole UTC days that ended AGE ago or more. Day by day,
oldest first: the day's trades are written to --archive DIR as
trades-YYYY-MM-DD.parquet (an existing file is never replaced: a later prune
of the same day writes trades-YYYY-MM-DD.2.parquet), the file is read back
and its rows counted; the day's candles (1m to 1d) are kept, so 'ohlcv' still
answers for it; only then are its trades deleted. If an archive cannot be
written, nothing of that day is deleted and prune stops (exit 1). The trade a
pool's cursor names is kept. Safe while collect runs: prune deletes in short
transactions between the collector's.

  --older-than AGE  30d, 12w, 720h: days that ended this long ago go
                    (also retention.older_than in --config)
  --archive DIR     write each day to DIR first (also retention.archive_dir);
                    without it the trades are deleted unarchived
  --dry-run         list the days and trades that would go; change nothing
  --vacuum          SQLite, no collector running: rewrite the file once in
                    incremental auto-vacuum mode (VACUUM), so that prunes give
                    space back to the file system; without it freed pages are
                    reused by new trades. PostgreSQL: autovacuum reclaims space
  --json            print the result as one JSON object
  --db PATH|URL     the database (default: sqlite:///gecko_data.db, or
                    GECKO_DB_URL, or database.url in --config FILE)
  --config FILE     YAML settings (also GECKO_CONFIG)

Prints one line a day and what reclaiming the space did. Exit status: 0 done
(also when nothing was old enough), 1 failed, 2 bad flags.`;

/** `text` in lines of at most 80 columns, the later ones indented. */
function wrap(text: string, indent = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 80) {
      lines.push(line);
      line = indent + word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function dayLine(d: PruneResult['days'][number], dryRun: boolean): string {
  if (dryRun) return `  ${d.day}  ${count(d.trades)} trades`;
  const archive = d.archiveFile ? `  -> ${d.archiveFile.split('/').pop()} (${count(d.archived)} read back)` : '';
  return `  ${d.day}  ${count(d.deleted)} deleted${archive}`;
}

export function formatPrune(r: PruneResult): string {
  const trades = r.days.reduce((s, d) => s + (r.dryRun ? d.trades : d.deleted), 0);
  const head = r.dryRun
    ? `would prune ${days(r.days.length)} before ${r.cutoff} (UTC): ${count(trades)} trades`
    : `pruned ${days(r.days.length)} before ${r.cutoff} (UTC): ${count(trades)} trades deleted, ${count(
        r.days.reduce((s, d) => s + d.candles, 0),
      )} candles kept`;
  const lines = [...wrap(head), ...r.days.map((d) => dayLine(d, r.dryRun))];
  if (r.besideCollector) lines.push('a collector was running: deleted between its transactions');
  if (r.reclaimed) lines.push(...wrap(`space: ${r.reclaimed.message}`));
  return lines.join('\n');
}

function progressText(p: PruneProgress): string {
  const what = p.step === 'delete' ? `deleting (${count(p.deleted)})` : p.step === 'archive' ? 'archiving' : p.step;
  return `prune: day ${p.dayIndex + 1}/${p.days} ${p.day}: ${what}`;
}

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'archive trades older than N days to Parquet, keep their candles, delete them',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      db: { type: 'string' },
      config: { type: 'string' },
      'older-than': { type: 'string' },
      archive: { type: 'string' },
      'dry-run': { type: 'boolean' },
      vacuum: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const specs = [...commonSpecs({ tty: false }).filter((s) => s.key === 'db'), ...retentionSpecs()];
    let settings: ReturnType<typeof loadSettings>['settings'];
    try {
      ({ settings } = loadSettings(specs, {
        db: values.db,
        config: values.config,
        'older-than': values['older-than'],
        archive: values.archive,
      }));
    } catch (err) {
      if (err instanceof SettingError) throw new UsageError(err.message);
      throw err;
    }
    const url = settings.get<string>('db')!;
    const olderThan = settings.get<number>('older-than');
    if (values.vacuum) {
      if (isPostgresUrl(url))
        throw new UsageError('--vacuum is for SQLite files: PostgreSQL reclaims space with autovacuum');
      const file = writerSettingsFrom(resolveDatabaseConfig({ url })).path;
      // VACUUM needs the file to itself: refused (DatabaseInUseError, exit 1) while a collector holds it.
      const lock = DatabaseLock.acquire(file);
      try {
        const { before, after } = vacuumIntoIncremental(file);
        io.stdout.write(`vacuum: ${file} rewritten in incremental mode, ${count(before)} -> ${count(after)} bytes\n`);
      } finally {
        lock.release();
      }
      if (olderThan === undefined) return EXIT_OK;
    }
    if (olderThan === undefined) throw new UsageError('say how old: --older-than 30d (or retention.older_than)');
    const status = new StatusLine(io.stderr);
    const archiveDir = settings.get<string>('archive');
    let lastDay = '';
    const result = await pruneTrades({
      url,
      olderThanMs: olderThan * 1000,
      ...(archiveDir !== undefined ? { archiveDir } : {}),
      dryRun: values['dry-run'] === true,
      onProgress: (p) => {
        if (status.live) status.show(progressText(p));
        else if (p.day !== lastDay) {
          lastDay = p.day;
          io.stderr.write(`${progressText(p)}\n`);
        }
      },
    }).finally(() => status.clear());
    io.stdout.write(`${values.json ? JSON.stringify(result) : formatPrune(result)}\n`);
    return EXIT_OK;
  },
};
