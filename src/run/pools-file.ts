// A pools file read into a pool list: one address per line (# starts a comment), or the Python collector's
// watchlist.csv. Read at start and again whenever it changes during a run; either way a file that cannot be
// read, or lists no pool, is a SettingError naming the file and what is wrong.

import path from 'node:path';
import { parsePoolsFile } from '../config/pool-addresses.ts';
import { NotRegularFileError, readRegularFileSync } from '../config/regular-file.ts';
import { SettingError } from '../config/setting-error.ts';
import { describeWatchlist, looksLikeWatchlistCsv, parseWatchlistCsv } from './watchlist.ts';

export interface PoolsFileList {
  pools: string[];
  /** What a person is told about it (skipped watchlist rows), if anything. */
  notice?: string;
}

/** `from`: the setting as messages name it (`--pools-file`, `watchlist.file in config.yaml`). */
export function readPoolsFile(file: string, network: string, from = '--pools-file'): PoolsFileList {
  let text: string;
  try {
    text = readRegularFileSync(file, from);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new SettingError(err.message);
    const resolved = path.resolve(file);
    throw new SettingError(
      `cannot read ${from} ${JSON.stringify(file)}${resolved !== file ? ` (${resolved})` : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (looksLikeWatchlistCsv(text)) {
    const w = parseWatchlistCsv(text, network, file);
    if (w.addresses.length === 0)
      throw new SettingError(
        `${from} ${JSON.stringify(file)} has no active pool of ${network} (${describeWatchlist(w)})`,
      );
    return { pools: w.addresses, notice: `pools from ${file}: ${describeWatchlist(w)}` };
  }
  try {
    const pools = parsePoolsFile(text);
    if (pools.length === 0) throw new SettingError(`${from} ${JSON.stringify(file)} lists no pool address`);
    return { pools };
  } catch (err) {
    if (err instanceof SettingError) throw err;
    throw new SettingError((err as Error).message);
  }
}
