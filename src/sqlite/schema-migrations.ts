// Creates or upgrades a gecko_data.db: the legacy Python collector's tables (same names and columns), plus
// what collection needs. Versions are tracked in PRAGMA user_version; every step only adds, never rewrites.

import type { Database } from 'better-sqlite3';

export type SchemaFlavor = 'text-decimals' | 'legacy-numeric';

interface Migration {
  version: number;
  description: string;
  apply(db: Database): void;
}

// Same tables and columns as fixtures/legacy/schema.sql, but amounts, prices and times declared TEXT so a new
// database keeps decimals exactly as received. IF NOT EXISTS leaves a legacy file's tables untouched.
const BASE_TABLES = `
CREATE TABLE IF NOT EXISTS dexes (
  id VARCHAR(50) NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  network VARCHAR(20) NOT NULL,
  last_updated TEXT,
  metadata_json TEXT
);
CREATE TABLE IF NOT EXISTS pools (
  id VARCHAR(100) NOT NULL PRIMARY KEY,
  address VARCHAR(100) NOT NULL,
  name VARCHAR(200),
  dex_id VARCHAR(50) NOT NULL REFERENCES dexes (id),
  base_token_id VARCHAR(100),
  quote_token_id VARCHAR(100),
  reserve_usd TEXT,
  created_at TEXT,
  last_updated TEXT,
  activity_score TEXT,
  discovery_source VARCHAR(20),
  collection_priority VARCHAR(10),
  auto_discovered_at TEXT,
  last_activity_check TEXT,
  metadata_json TEXT
);
CREATE TABLE IF NOT EXISTS trades (
  id VARCHAR(200) NOT NULL PRIMARY KEY,
  pool_id VARCHAR(100) NOT NULL REFERENCES pools (id),
  block_number BIGINT,
  tx_hash VARCHAR(100),
  tx_from_address VARCHAR(100),
  from_token_amount TEXT,
  to_token_amount TEXT,
  price_usd TEXT,
  volume_usd TEXT,
  side VARCHAR(10),
  block_timestamp TEXT,
  created_at TEXT
);
CREATE TABLE IF NOT EXISTS watchlist (
  id INTEGER NOT NULL PRIMARY KEY,
  pool_id VARCHAR(200) NOT NULL UNIQUE REFERENCES pools (id),
  token_symbol VARCHAR(50),
  token_name VARCHAR(200),
  network_address VARCHAR(100),
  is_active BOOLEAN NOT NULL,
  created_at TEXT,
  updated_at TEXT,
  metadata_json TEXT
);`;

const COLLECTION_TABLES = `
CREATE TABLE IF NOT EXISTS collection_state (
  pool_id VARCHAR(100) NOT NULL PRIMARY KEY,
  last_trade_id VARCHAR(200),
  last_trade_timestamp TEXT,
  last_polled_at TEXT,
  updated_at TEXT
);
CREATE TABLE IF NOT EXISTS collection_gaps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pool_id VARCHAR(100) NOT NULL,
  gap_start TEXT NOT NULL,
  gap_end TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  trades_in_response INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_collection_gaps_pool ON collection_gaps (pool_id, detected_at);
CREATE INDEX IF NOT EXISTS idx_trades_pool_time ON trades (pool_id, block_timestamp);`;

/** Columns that hold the exact decimal text when the legacy columns have NUMERIC affinity (which rounds to REAL). */
export const EXACT_COLUMNS = [
  'from_token_amount_exact',
  'to_token_amount_exact',
  'price_usd_exact',
  'volume_usd_exact',
] as const;

const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'base tables (dexes, pools, trades, watchlist)', apply: (db) => db.exec(BASE_TABLES) },
  {
    version: 2,
    description: 'collection_state, collection_gaps, trades(pool_id, block_timestamp) index',
    apply: (db) => db.exec(COLLECTION_TABLES),
  },
  {
    version: 3,
    description: 'exact decimal text columns beside legacy NUMERIC amount columns',
    apply: (db) => {
      if (detectSchemaFlavor(db) !== 'legacy-numeric') return;
      const have = new Set(columnsOf(db, 'trades').map((c) => c.name));
      for (const col of EXACT_COLUMNS) if (!have.has(col)) db.exec(`ALTER TABLE trades ADD COLUMN ${col} TEXT`);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function columnsOf(db: Database, table: string): { name: string; type: string }[] {
  return db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[];
}

/** A legacy file declares amounts NUMERIC: SQLite would round long decimals to REAL there, so exact text goes beside. */
export function detectSchemaFlavor(db: Database): SchemaFlavor {
  const col = columnsOf(db, 'trades').find((c) => c.name === 'from_token_amount');
  if (!col) return 'text-decimals';
  const t = col.type.toUpperCase();
  return t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT') ? 'text-decimals' : 'legacy-numeric';
}

export function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the missing migrations in one IMMEDIATE transaction (so concurrent openers of the direct manager
 * serialize on it) and returns the versions applied; a database already at SCHEMA_VERSION is left untouched.
 */
export function migrate(db: Database): number[] {
  if (userVersion(db) >= SCHEMA_VERSION) return [];
  const applied: number[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = userVersion(db);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      m.apply(db);
      applied.push(m.version);
    }
    if (applied.length) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return applied;
}
