// Writes a CSV in the Python collector's `trades` export columns (id … block_timestamp, created_at; timestamps in
// its stored `YYYY-MM-DD HH:MM:SS.ffffff` format) from the deterministic synthetic trades: the file bench:import
// imports. Trade k of the file is syntheticTrade(k, { seed }), so the ceiling can build the very same rows.
//
// `node dist/bench/import-csv.js --rows 1000000 --out big.csv [--seed 7]`

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { storedTimestamp } from '../src/storage/sqlite/trade-statements.ts';
import { normalizeTimestamp } from '../src/trades/trade-validation.ts';

export const PYTHON_EXPORT_HEADER =
  'id,pool_id,block_number,tx_hash,tx_from_address,from_token_amount,to_token_amount,price_usd,volume_usd,side,block_timestamp,created_at';

/** Writes `rows` trades (indices 0 … rows-1 of `seed`); returns the file's size in bytes. */
export function writeImportCsv(file: string, rows: number, seed: number): number {
  const fd = fs.openSync(file, 'w');
  try {
    const createdAt = storedTimestamp(Date.UTC(2025, 8, 1));
    let chunk: string[] = [PYTHON_EXPORT_HEADER];
    const flush = () => {
      fs.writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    };
    for (let k = 0; k < rows; k++) {
      const t = syntheticTrade(k, { seed });
      chunk.push(
        [
          t.id,
          t.poolId,
          t.blockNumber ?? '',
          t.txHash ?? '',
          t.txFromAddress ?? '',
          t.fromTokenAmount,
          t.toTokenAmount,
          t.priceUsd,
          t.volumeUsd,
          t.side,
          normalizeTimestamp(t.blockTimestamp),
          createdAt,
        ].join(','),
      );
      if (chunk.length >= 10_000) flush();
    }
    if (chunk.length > 0) flush();
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

const USAGE = 'usage: node dist/bench/import-csv.js --rows N --out FILE.csv [--seed N]';

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    rows: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!args.out) throw new UsageError('--out FILE.csv is required');
  const rows = intFlag('rows', args.rows, 1_000_000, 1);
  const bytes = writeImportCsv(path.resolve(args.out), rows, intFlag('seed', args.seed, 7, 0));
  process.stdout.write(`${args.out}: ${rows} rows, ${bytes} bytes\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench/import-csv', USAGE, main);
