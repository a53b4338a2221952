// `gecko-collector export`: writes stored trades out as CSV (the Python collector's export columns, which
// `import` reads back), NDJSON or Parquet, read-only, streaming; to a file (written whole or not at all) or stdout.

import { EXPORT_FORMATS, type ExportFormat, exportTrades } from '../export/export-trades.ts';
import { EXIT_OK, UsageError } from './cli-error.ts';
import { type CliIo, type Command, choiceFlag, parseFlags } from './command.ts';
import { outFlag, writeToTarget } from './output-target.ts';
import { databaseUrlOf, filterOrUsage, TRADE_QUERY_HELP, TRADE_QUERY_OPTIONS } from './trade-query-flags.ts';

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
${TRADE_QUERY_HELP}

Exit status: 0 exported (0 trades too, for a pool the database knows without trades in the window); 1 failed:
the database missing or unreadable, the output not writable, or a --pool the database does not know (no pools
row, no trade: said on stderr, nothing written, no FILE created); 2 bad flags.`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write stored trades out as CSV, NDJSON or Parquet (read-only, streaming)',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, { ...TRADE_QUERY_OPTIONS, format: { type: 'string' } });
    const format = choiceFlag<ExportFormat>('format', values.format, 'csv', EXPORT_FORMATS);
    const filter = filterOrUsage(values);
    const out = outFlag(values.out);
    if (out === '-' && format === 'parquet' && io.stdout.isTTY)
      throw new UsageError('Parquet is binary: give --out FILE, or redirect stdout to a file or a pipe');
    const url = databaseUrlOf(values);
    const result = await writeToTarget(out, io, (stream) => exportTrades({ url, format, filter, out: stream }));
    // The count goes to stderr when stdout carries the data.
    if (result)
      (out === '-' ? io.stderr : io.stdout).write(
        `exported ${result.rows} trades${out === '-' ? '' : ` to ${out}`} (${format})\n`,
      );
    return EXIT_OK;
  },
};
