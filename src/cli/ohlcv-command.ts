// `gecko-collector ohlcv`: OHLCV candles per pool from the stored trades (read-only, streaming), as a table for
// people or CSV/NDJSON with the exact decimal text.

import { DEFAULT_WIDTH, outputWidth } from '../common/text-fit.ts';
import { OutputSink } from '../export/output-sink.ts';
import { TIMEFRAME_NAMES, type Timeframe } from '../gecko/timeframes.ts';
import { CANDLE_FORMATS, type CandleFormat, writeCandles } from '../ohlcv/candle-formats.ts';
import { BEST_SHORT, CANDLE_SOURCES, type CandleSource, sourcedCandles } from '../ohlcv/candle-sources.ts';
import { EXIT_OK } from './cli-error.ts';
import { type CliIo, type Command, choiceFlag, parseFlags } from './command.ts';
import { outFlag, writeToTarget } from './output-target.ts';
import { databaseUrlOf, filterOrUsage, TRADE_QUERY_HELP, TRADE_QUERY_OPTIONS } from './trade-query-flags.ts';

const HELP = `usage: gecko-collector ohlcv [flags]

Builds OHLCV candles per pool from the stored trades, read-only (safe while a collector writes).
Rules: a trade belongs to the bucket its block_timestamp (UTC) falls in, buckets starting at multiples of
the timeframe since 1970-01-01 UTC (4h, 12h and 1d buckets start at UTC midnight); open is the bucket's
first trade and close its last, by block time then trade id; high and low the largest and smallest
price_usd; volume_usd the sum of volume_usd, split into buys and sells by side; buckets with no trade are
omitted. --since/--until select trades, so a bucket cut by them holds only the trades inside.

  --timeframe T     ${TIMEFRAME_NAMES.join(' | ')} (default 1h)
  --format F        table | csv | ndjson (default table). csv and ndjson carry the exact decimal text
                    (columns pool_id,bucket_start,open,high,low,close,volume_usd,trades,buys,sells,
                    buy_volume_usd,sell_volume_usd); the table fits the terminal (80 columns
                    when not one): 5 significant digits, trades, buys and sells left out
                    as the width needs
  --wide            the table with every column, 8 significant digits
  --source S        trades | api | best (default trades): trades builds candles from the stored
                    trades; api reads the API's candles reconcile kept (ohlcv_candles: no trade
                    counts or buy/sell split, left empty); best takes a bucket's trades candle
                    where the store has it complete (no API candle kept for it, or its volume
                    within ${BEST_SHORT * 100} % of the API's), else the API's. api and best add a column
                    source (api or trades)
${TRADE_QUERY_HELP}

The same candles in SQL: the views ohlcv_1m, ohlcv_5m, … ohlcv_1d (see docs/data.md).
Exit status: 0 done (also when no trade matches), 1 failed (database missing or unreadable), 2 bad flags.`;

export const ohlcvCommand: Command = {
  name: 'ohlcv',
  summary: 'OHLCV candles per pool from the stored trades (1m … 1d; table, CSV or NDJSON)',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      ...TRADE_QUERY_OPTIONS,
      format: { type: 'string' },
      timeframe: { type: 'string' },
      source: { type: 'string' },
      wide: { type: 'boolean' },
    });
    const source = choiceFlag<CandleSource>('source', values.source, 'trades', CANDLE_SOURCES);
    const format = choiceFlag<CandleFormat>('format', values.format, 'table', CANDLE_FORMATS);
    const timeframe = choiceFlag<Timeframe>('timeframe', values.timeframe, '1h', TIMEFRAME_NAMES);
    const filter = filterOrUsage(values);
    const out = outFlag(values.out);
    const url = databaseUrlOf(values);
    const n = await writeToTarget(out, io, async (stream) => {
      const sink = new OutputSink(stream);
      try {
        const count = await writeCandles(sourcedCandles({ url, timeframe, filter, source }), format, sink, {
          withSource: source !== 'trades',
          width: out === '-' ? outputWidth(io.stdout, values.wide === true) : values.wide ? undefined : DEFAULT_WIDTH,
        });
        await sink.flush();
        return count;
      } finally {
        sink.detach();
      }
    });
    if (n !== undefined && out !== '-') io.stdout.write(`${n} ${timeframe} candles to ${out} (${format})\n`);
    return EXIT_OK;
  },
};
