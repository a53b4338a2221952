// `gecko-collector export`: writes stored trades out as CSV (the Python collector's export columns, which
// `import` reads back), NDJSON or Parquet, read-only, streaming; to a file (written whole or not at all) or stdout.

import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { EXPORT_FORMATS, type ExportFormat, exportTrades } from '../export/export-trades.ts';
import { filterFromFlags, type TradeFilter, TradeFilterError } from '../export/trade-filter.ts';
import { EXIT_OK, UsageError } from './cli-error.ts';
import { commonSpecs, loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, choiceFlag, parseFlags } from './command.ts';

const HELP = `usage: gecko-collector export [flags]

Writes the stored trades out, read-only (safe while a collector writes the database), in pool, block time,
trade id order. Streams: memory stays flat whatever the table's size.

  --format F        csv | ndjson | parquet (default csv)
                      csv      the old collector's export columns id,pool_id,block_number,tx_hash,
                               tx_from_address,from_token_amount,to_token_amount,price_usd,volume_usd,side,
                               block_timestamp,created_at; 'gecko-collector import' reads it back exactly
                      ndjson   one object a line, the same column names
                      parquet  typed columns: each decimal as a DOUBLE plus its exact text in <name>_exact,
                               block_timestamp and created_at as UTC timestamps (microseconds)
                    decimals are their exact text; times UTC 'YYYY-MM-DD HH:MM:SS.ffffff'
  --out FILE|-      where to write (default -, stdout). A FILE is written beside it first and renamed
                    into place when complete: a failed export leaves no partial FILE
  --pool ID         only this pool: a pool id (solana_<address>), or an address with --network; repeat
                    the flag for several pools
  --network N       only pools of this network
  --since TIME      block time from TIME (inclusive), --until TIME to TIME (exclusive): a UTC date or
  --until TIME      date-time, 2025-08-28 or 2025-08-28T16:00:00Z
  --db PATH|URL     database file: a path or sqlite:///gecko_data.db (default: sqlite:///gecko_data.db, or
                    GECKO_DB_URL, or database.url in --config FILE); or postgresql://user@host:port/db[?schema=s]
  --config FILE     YAML settings (also GECKO_CONFIG): the database a collector's config names

Exit status: 0 exported, 1 failed (the database missing or unreadable, the output not writable), 2 bad flags.`;

function filterOrUsage(flags: Parameters<typeof filterFromFlags>[0]): TradeFilter {
  try {
    return filterFromFlags(flags);
  } catch (err) {
    if (err instanceof TradeFilterError) throw new UsageError(err.message);
    throw err;
  }
}

async function exportToFile(url: string, format: ExportFormat, filter: TradeFilter, file: string): Promise<number> {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
  const out = fs.createWriteStream(partial);
  try {
    await once(out, 'open');
    const { rows } = await exportTrades({ url, format, filter, out });
    out.end();
    await once(out, 'close');
    fs.renameSync(partial, file);
    return rows;
  } catch (err) {
    out.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write stored trades out as CSV, NDJSON or Parquet (read-only, streaming)',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      db: { type: 'string' },
      config: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      pool: { type: 'string', multiple: true },
      network: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    });
    const format = choiceFlag<ExportFormat>('format', values.format, 'csv', EXPORT_FORMATS);
    const filter = filterOrUsage(values);
    const out = values.out ?? '-';
    if (out === '') throw new UsageError('--out must be a file name or - for stdout, got ""');
    if (out === '-' && format === 'parquet' && io.stdout.isTTY)
      throw new UsageError('Parquet is binary: give --out FILE, or redirect stdout to a file or a pipe');
    const dbSpec = commonSpecs({ tty: false }).filter((s) => s.key === 'db');
    const url = loadSettings(dbSpec, { db: values.db, config: values.config }).settings.get<string>('db')!;
    if (out !== '-') {
      const rows = await exportToFile(url, format, filter, path.resolve(out));
      io.stdout.write(`exported ${rows} trades to ${out} (${format})\n`);
      return EXIT_OK;
    }
    try {
      const { rows } = await exportTrades({ url, format, filter, out: io.stdout });
      io.stderr.write(`exported ${rows} trades (${format})\n`);
    } catch (err) {
      // A reader that went away (export … | head) ends the export; that is not a failure.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    }
    return EXIT_OK;
  },
};
