// Runs test/support/python/legacy_models_read.py: a database read through SQLAlchemy models written from
// the Python collector's schema, with Debian's python3-sqlalchemy (npm test installs it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './repo.ts';

export type OrmRow = Record<string, string | number | boolean | null>;

export interface LegacyModelsRead {
  sqlalchemy: string;
  trades: OrmRow[];
  pools: OrmRow[];
  dexes: OrmRow[];
  watchlist: OrmRow[];
  /** The *_exact columns by trade id (plain SQL: the Python models do not map them). */
  exact: Record<string, Record<'from_token_amount' | 'to_token_amount' | 'price_usd' | 'volume_usd', string | null>>;
  max_price_usd: string | null;
  count_price_above_100: number;
}

// Debian's interpreter first: a pyenv or venv python3 earlier on PATH does not see the apt package.
// GECKO_TEST_PYTHON overrides (scripts/test-prereqs.mjs checks the same one).
const PYTHON = process.env.GECKO_TEST_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export function readWithLegacyModels(dbPath: string): LegacyModelsRead {
  const script = path.join(REPO_ROOT, 'test/support/python/legacy_models_read.py');
  const out = execFileSync(PYTHON, ['-W', 'ignore', script, dbPath], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return JSON.parse(out) as LegacyModelsRead;
}

/**
 * What the Python models read for a decimal stored in a NUMERIC(p, scale) column: SQLAlchemy converts the
 * stored REAL with '%.{scale}f': the double's exact binary value rounded to scale places, ties to even. JS
 * toFixed rounds ties up, so the rounding is done here on the exact expansion (toFixed(100) holds it whenever a
 * tie is possible: a tie needs an expansion that ends at scale + 1 places). Above 1e21 a double is an integer.
 */
export function atModelScale(decimal: string, scale: number): string {
  const x = Number(decimal);
  if (Math.abs(x) >= 1e21) return `${BigInt(x)}.${'0'.repeat(scale)}`;
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf('.');
  const kept = BigInt(exact.slice(0, point) + exact.slice(point + 1, point + 1 + scale));
  const rest = exact.slice(point + 1 + scale).replace(/0+$/, '');
  const last = kept % 2n;
  const up = rest > '5' || (rest === '5' && last === 1n);
  const digits = (up ? kept + 1n : kept).toString().padStart(scale + 1, '0');
  const sign = x < 0 ? '-' : '';
  if (scale === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** The trades columns other than id and the amounts: stored as they came (times normalized). */
export const OTHER_TRADE_COLUMNS = [
  'pool_id',
  'block_number',
  'tx_hash',
  'tx_from_address',
  'side',
  'block_timestamp',
  'created_at',
] as const;

/** The scale of each amount column in the Python models (NUMERIC(30, 18), volume NUMERIC(20, 8)). */
export const MODEL_SCALE = { from_token_amount: 18, to_token_amount: 18, price_usd: 18, volume_usd: 8 } as const;
