// Runs test/support/python/legacy_models_read.py: a database read through SQLAlchemy models written from
// fixtures/legacy/schema.sql (the Python collector's), with Debian's python3-sqlalchemy (.ci/run installs it).
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
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function readWithLegacyModels(dbPath: string): LegacyModelsRead {
  const script = path.join(REPO_ROOT, 'test/support/python/legacy_models_read.py');
  const out = execFileSync(PYTHON, ['-W', 'ignore', script, dbPath], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return JSON.parse(out) as LegacyModelsRead;
}

/**
 * What the Python models read for a decimal stored in a NUMERIC(p, scale) column: SQLAlchemy converts the
 * stored REAL with '%.{scale}f' (the double's exact binary value, rounded to scale places); toFixed does the
 * same below 1e21, where it would switch to an exponent (such a double is an integer).
 */
export function atModelScale(decimal: string, scale: number): string {
  const x = Number(decimal);
  return Math.abs(x) < 1e21 ? x.toFixed(scale) : `${BigInt(x)}.${'0'.repeat(scale)}`;
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
