// `npm run -s bench:ohlcv -- [--rows N] [--timeframe T] [--keep DIR]`: candle building speed. Builds a SQLite file
// of N synthetic trades (default 1,000,000; 16 pools, 2 trades a second), then times the library call
// ohlcvCandles (what `gecko-collector ohlcv` runs: exact decimals) and, in the same run, a full read of the SQL
// view ohlcv_<T> (REAL arithmetic in SQLite), each as wall and CPU seconds.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { urlFromDatabasePath } from '../src/config/database-url.ts';
import { TIMEFRAME_NAMES, type Timeframe } from '../src/gecko/timeframes.ts';
import { ohlcvCandles } from '../src/ohlcv/ohlcv-candles.ts';
import { machineSummary } from './machine.ts';
import { buildTradesFile } from './trades-file.ts';

const USAGE = 'usage: npm run -s bench:ohlcv -- [--rows N] [--timeframe T] [--keep DIR]';
const say = (s: string) => process.stdout.write(`${s}\n`);

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

await runScript('bench:ohlcv', USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    rows: { type: 'string' },
    timeframe: { type: 'string' },
    keep: { type: 'string' },
  });
  if (values.help) {
    say(USAGE);
    return;
  }
  const rows = intFlag('rows', values.rows, 1_000_000, 1000);
  const timeframe = (values.timeframe ?? '1m') as Timeframe;
  if (!TIMEFRAME_NAMES.includes(timeframe))
    throw new UsageError(`--timeframe must be one of ${TIMEFRAME_NAMES.join(', ')}, got ${timeframe}`);
  say(machineSummary().line);
  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-bench-ohlcv-'));
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, `trades-${rows}.db`);
  if (!fs.existsSync(db))
    say(`built ${db}: ${rows.toLocaleString('en-US')} trades in ${buildTradesFile(db, rows).toFixed(1)} s`);
  else say(`reusing ${db}`);

  const lib = await timed(async () => {
    let candles = 0;
    let trades = 0;
    for await (const batch of ohlcvCandles({ url: urlFromDatabasePath(db), timeframe })) {
      candles += batch.length;
      for (const c of batch) trades += c.trades;
    }
    return { candles, trades };
  });
  const view = await timed(() => {
    const conn = new Database(db, { readonly: true });
    try {
      return conn.prepare(`SELECT count(*) AS candles, sum(trades) AS trades FROM ohlcv_${timeframe}`).get() as {
        candles: number;
        trades: number;
      };
    } finally {
      conn.close();
    }
  });
  if (lib.value.candles !== view.value.candles || lib.value.trades !== rows || view.value.trades !== rows)
    throw new Error(`library and view disagree: ${JSON.stringify({ lib: lib.value, view: view.value, rows })}`);
  const n = rows.toLocaleString('en-US');
  say(`\n${n} trades → ${lib.value.candles.toLocaleString('en-US')} ${timeframe} candles`);
  say(
    `ohlcvCandles (exact decimals):  ${lib.wall.toFixed(2)} s wall, ${lib.cpu.toFixed(2)} s CPU, ${Math.round(rows / lib.wall).toLocaleString('en-US')} trades/s`,
  );
  say(`SELECT … FROM ohlcv_${timeframe} (REAL): ${view.wall.toFixed(2)} s wall, ${view.cpu.toFixed(2)} s CPU`);
  say(`ratio library / view (wall): ${(lib.wall / view.wall).toFixed(2)}`);
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
});
