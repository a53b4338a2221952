// The flags `export` and `ohlcv` share: the database (--db/--config as every command reads them), which trades
// (--pool, --network, --since, --until) and where the output goes (--out).

import { filterFromFlags, TradeFilterError } from '../export/trade-filter.ts';
import type { TradeFilter } from '../storage/trade-rows.ts';
import { UsageError } from './cli-error.ts';
import { loadSettings } from './cli-settings.ts';
import { commonSpecs } from './common-specs.ts';

export const TRADE_QUERY_OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  pool: { type: 'string', multiple: true },
  network: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

/** The --help lines of TRADE_QUERY_OPTIONS. */
export const TRADE_QUERY_HELP = `  --out FILE|-      where to write (default -, stdout). A FILE is written beside it first and renamed
                    into place when complete: a failed run leaves no partial FILE
  --pool ID         only this pool: a pool id (solana_<address>), or an address with --network; repeat
                    the flag for several pools
  --network N       only pools of this network
  --since TIME      block time from TIME (inclusive), --until TIME to TIME (exclusive): a UTC date or
  --until TIME      date-time, 2025-08-28 or 2025-08-28T16:00:00Z
  --db PATH|URL     database file: a path or sqlite:///gecko_data.db (default: sqlite:///gecko_data.db, or
                    GECKO_DB_URL, or database.url in --config FILE); or postgresql://user@host:port/db[?schema=s]
  --config FILE     YAML settings (also GECKO_CONFIG): the database a collector's config names`;

/** The filter the flags describe; UsageError (exit 2) naming the flag otherwise. */
export function filterOrUsage(flags: Parameters<typeof filterFromFlags>[0]): TradeFilter {
  try {
    return filterFromFlags(flags);
  } catch (err) {
    if (err instanceof TradeFilterError) throw new UsageError(err.message);
    throw err;
  }
}

/** The database URL from --db, GECKO_DB_URL or --config's database.url (the same one a collector writes). */
export function databaseUrlOf(flags: { db?: string; config?: string }): string {
  const dbSpec = commonSpecs({ tty: false }).filter((s) => s.key === 'db');
  return loadSettings(dbSpec, { db: flags.db, config: flags.config }).settings.get<string>('db')!;
}
