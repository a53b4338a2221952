// Creates or upgrades a gecko_data.db: the legacy Python collector's tables (same names, columns and types), plus
// what collection needs. Versions are tracked in PRAGMA user_version. Every step only adds, except the one that
// rebuilds files of the former text layout into the one layout (rebuildTextLayout), keeping every digit.

import type { Database } from 'better-sqlite3';
import { placeholderDex, poolIdParts } from '../../trades/pool-id.ts';
import { TRADE_AMOUNT_COLUMNS } from '../../trades/trade-columns.ts';
import { DECIMAL_PATTERN } from '../../trades/trade-validation.ts';
import { sqliteOhlcvViewsSql } from '../ohlcv-views.ts';

/**
 * How a file declares the amount columns: 'numeric-exact' is the one layout (NUMERIC + *_exact text);
 * 'text' is the former gecko-collector layout (amounts TEXT in the NUMERIC columns), upgraded by migration 4.
 */
export type TradesLayout = 'numeric-exact' | 'text';

interface Migration {
  version: number;
  description: string;
  apply(db: Database): void;
}

// The Python collector's tables exactly as its SQLAlchemy models create them: amounts
// and prices NUMERIC, so its ORM reads numbers and SQL compares them as numbers; times DATETIME holding
// 'YYYY-MM-DD HH:MM:SS.ffffff' text. The trades table also carries the exact decimal text of each amount
// (EXACT_COLUMNS), which no REAL holds. `name` lets the text-layout rebuild create the new table beside the old.
function tableDdl(table: LayoutTable, name: string = table, ifNotExists = true): string {
  const create = `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name}`;
  switch (table) {
    case 'dexes':
      return `${create} (
  id VARCHAR(50) NOT NULL,
  name VARCHAR(100) NOT NULL,
  network VARCHAR(20) NOT NULL,
  last_updated DATETIME,
  metadata_json TEXT,
  PRIMARY KEY (id)
)`;
    case 'pools':
      return `${create} (
  id VARCHAR(100) NOT NULL,
  address VARCHAR(100) NOT NULL,
  name VARCHAR(200),
  dex_id VARCHAR(50) NOT NULL,
  base_token_id VARCHAR(100),
  quote_token_id VARCHAR(100),
  reserve_usd NUMERIC(20, 8),
  created_at DATETIME,
  last_updated DATETIME,
  activity_score NUMERIC(5, 2),
  discovery_source VARCHAR(20),
  collection_priority VARCHAR(10),
  auto_discovered_at DATETIME,
  last_activity_check DATETIME,
  metadata_json TEXT,
  PRIMARY KEY (id),
  FOREIGN KEY(dex_id) REFERENCES dexes (id)
)`;
    case 'trades':
      return `${create} (
  id VARCHAR(200) NOT NULL,
  pool_id VARCHAR(100) NOT NULL,
  block_number BIGINT,
  tx_hash VARCHAR(100),
  tx_from_address VARCHAR(100),
  from_token_amount NUMERIC(30, 18),
  to_token_amount NUMERIC(30, 18),
  price_usd NUMERIC(30, 18),
  volume_usd NUMERIC(20, 8),
  side VARCHAR(10),
  block_timestamp DATETIME,
  created_at DATETIME,
  ${EXACT_COLUMNS.map((c) => `${c} TEXT`).join(',\n  ')},
  PRIMARY KEY (id),
  FOREIGN KEY(pool_id) REFERENCES pools (id)
)`;
    case 'watchlist':
      return `${create} (
  id INTEGER NOT NULL,
  pool_id VARCHAR(200) NOT NULL,
  token_symbol VARCHAR(50),
  token_name VARCHAR(200),
  network_address VARCHAR(100),
  is_active BOOLEAN NOT NULL,
  created_at DATETIME,
  updated_at DATETIME,
  metadata_json TEXT,
  PRIMARY KEY (id),
  CONSTRAINT uq_watchlist_pool_id UNIQUE (pool_id),
  FOREIGN KEY(pool_id) REFERENCES pools (id)
)`;
  }
}

type LayoutTable = 'dexes' | 'pools' | 'trades' | 'watchlist';
const LAYOUT_TABLES: readonly LayoutTable[] = ['dexes', 'pools', 'trades', 'watchlist'];

const TRADES_POOL_TIME_INDEX = `CREATE INDEX IF NOT EXISTS idx_trades_pool_time ON trades (pool_id, block_timestamp);`;

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
${TRADES_POOL_TIME_INDEX}`;

// Completeness and backfill: each pool's estimated trade rate and chosen interval beside its cursor, the trades a
// gap is estimated to have lost and how it was filled, candles kept apart from trades (the API's own, and those of
// pruned days), and when each pool joined and left the pool set.
const COMPLETENESS_COLUMNS: readonly (readonly [table: string, column: string, type: string])[] = [
  ['collection_state', 'trade_rate_per_s', 'REAL'],
  ['collection_state', 'rate_observed_at', 'TEXT'],
  ['collection_state', 'poll_interval_ms', 'INTEGER'],
  ['collection_gaps', 'estimated_missed', 'REAL'],
  ['collection_gaps', 'filled_at', 'TEXT'],
  ['collection_gaps', 'filled_trades', 'INTEGER'],
  ['collection_gaps', 'fill_error', 'TEXT'],
];

const CANDLE_AND_MEMBERSHIP_TABLES = `
CREATE TABLE IF NOT EXISTS ohlcv_candles (
  pool_id VARCHAR(100) NOT NULL,
  timeframe TEXT NOT NULL,
  bucket_start TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'trades')),
  open REAL, high REAL, low REAL, close REAL,
  volume_usd REAL,
  trades INTEGER, buys INTEGER, sells INTEGER,
  buy_volume_usd REAL, sell_volume_usd REAL,
  fetched_at TEXT NOT NULL,
  PRIMARY KEY (pool_id, timeframe, bucket_start, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pool_membership (
  pool_id VARCHAR(100) NOT NULL PRIMARY KEY,
  source TEXT NOT NULL,
  joined_at TEXT NOT NULL,
  left_at TEXT
);`;

// Each pool's latest reconciles against the API's candles (doctor shows the newest per pool); a resent batch
// records its result once.
const RECONCILE_TABLE = `
CREATE TABLE IF NOT EXISTS reconcile_runs (
  pool_id VARCHAR(100) NOT NULL,
  timeframe TEXT NOT NULL,
  reconciled_at TEXT NOT NULL,
  span_start TEXT NOT NULL,
  span_end TEXT NOT NULL,
  api_volume_usd REAL NOT NULL,
  stored_volume_usd REAL NOT NULL,
  completeness REAL,
  buckets INTEGER NOT NULL,
  short_buckets INTEGER NOT NULL,
  threshold REAL NOT NULL,
  min_volume_usd TEXT,
  PRIMARY KEY (pool_id, timeframe, reconciled_at)
) WITHOUT ROWID;`;

/** Columns that hold the exact decimal text beside the NUMERIC amount columns (which hold the value as a REAL). */
export const EXACT_COLUMNS = [
  'from_token_amount_exact',
  'to_token_amount_exact',
  'price_usd_exact',
  'volume_usd_exact',
] as const;

/** The NUMERIC column each exact column belongs to. */
export const AMOUNT_COLUMNS = TRADE_AMOUNT_COLUMNS;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'base tables (dexes, pools, trades, watchlist)',
    apply: (db) => db.exec(LAYOUT_TABLES.map((t) => `${tableDdl(t)};`).join('\n')),
  },
  {
    version: 2,
    description: 'collection_state, collection_gaps, trades(pool_id, block_timestamp) index',
    apply: (db) => db.exec(COLLECTION_TABLES),
  },
  {
    version: 3,
    description: 'exact decimal text columns beside legacy NUMERIC amount columns',
    apply: (db) => {
      if (tradesLayout(db) !== 'numeric-exact') return;
      const have = new Set(columnsOf(db, 'trades').map((c) => c.name));
      for (const col of EXACT_COLUMNS) if (!have.has(col)) db.exec(`ALTER TABLE trades ADD COLUMN ${col} TEXT`);
    },
  },
  {
    version: 4,
    description: 'text-layout files rebuilt with NUMERIC amounts and their exact text beside',
    apply: (db) => {
      if (tradesLayout(db) === 'text') rebuildTextLayout(db);
    },
  },
  {
    // Views only: a later step that rebuilds the trades table must create them again.
    version: 5,
    description: 'OHLCV candle views ohlcv_1m … ohlcv_1d over trades',
    apply: (db) => {
      db.exec(sqliteOhlcvViewsSql());
    },
  },
  {
    version: 6,
    description: 'rate and interval per pool, estimated missed and fill per gap, ohlcv_candles, pool_membership',
    apply: (db) => {
      for (const [table, column, type] of COMPLETENESS_COLUMNS)
        if (!columnsOf(db, table).some((c) => c.name === column))
          db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      db.exec(CANDLE_AND_MEMBERSHIP_TABLES);
    },
  },
  { version: 7, description: 'reconcile_runs', apply: (db) => db.exec(RECONCILE_TABLE) },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
/** Every step's version, oldest first (numbers are handed out per task, so a step may be missing between). */
export const MIGRATION_VERSIONS = MIGRATIONS.map((m) => m.version);

function columnsOf(db: Database, table: string): { name: string; type: string }[] {
  return db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[];
}

/** The layout of the trades table's amount columns; null when the file has no trades table. */
export function tradesLayout(db: Database): TradesLayout | null {
  const col = columnsOf(db, 'trades').find((c) => c.name === 'from_token_amount');
  if (!col) return null;
  const t = col.type.toUpperCase();
  // SQLite's affinity rules: a declared type containing CHAR, CLOB or TEXT stores text as text.
  return t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT') ? 'text' : 'numeric-exact';
}

const DECIMAL = new RegExp(`^${DECIMAL_PATTERN}$`);

/**
 * A decimal text as the number the NUMERIC column holds: JS's Number() rounds correctly, SQLite's own
 * text-to-REAL conversion does not for long decimals, and readers compare the column with Number(exact text).
 * Anything else is left as it is (NUMERIC affinity keeps non-numbers as text).
 */
export function numericValue(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
}

/** Columns of the former text layout whose values become numbers in the rebuilt table. */
const NUMERIC_COLUMNS: Record<LayoutTable, readonly string[]> = {
  dexes: [],
  pools: ['reserve_usd', 'activity_score'],
  trades: AMOUNT_COLUMNS,
  watchlist: [],
};

/**
 * Rebuilds the four base tables of a text-layout file in the one layout (SQLite's documented table rebuild:
 * create the new table, copy, drop the old, rename): the trades amounts keep their text, digit for digit, in
 * the *_exact columns, and their NUMERIC columns get Number(text); pools that trades name without a row get
 * one. Runs inside migrate()'s transaction with foreign keys off.
 */
function rebuildTextLayout(db: Database): void {
  db.function('gecko_numeric', { deterministic: true }, (v: unknown) => numericValue(v) as number | string | null);
  for (const table of LAYOUT_TABLES) {
    const old = columnsOf(db, table).map((c) => c.name);
    if (old.length === 0) {
      db.exec(tableDdl(table));
      continue;
    }
    const target = `${table}_rebuild`;
    db.exec(tableDdl(table, target, false));
    const into = [...old];
    const from = old.map((c) => (NUMERIC_COLUMNS[table].includes(c) ? `gecko_numeric(${c})` : c));
    if (table === 'trades') {
      into.push(...EXACT_COLUMNS);
      from.push(...AMOUNT_COLUMNS);
    }
    db.exec(`INSERT INTO ${target} (${into.join(', ')}) SELECT ${from.join(', ')} FROM ${table}`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${target} RENAME TO ${table}`);
  }
  db.exec(TRADES_POOL_TIME_INDEX);
  addMissingPools(db);
}

/**
 * Files of the text layout were written with foreign keys off (imports left trades whose pool had no row):
 * each such pool gets the row the writers now add before its trades (WriteStatements.ensurePool).
 */
function addMissingPools(db: Database): void {
  const missing = db
    .prepare('SELECT DISTINCT pool_id FROM trades WHERE pool_id NOT IN (SELECT id FROM pools)')
    .pluck()
    .all() as string[];
  const insertDex = db.prepare('INSERT OR IGNORE INTO dexes (id, name, network) VALUES (?, ?, ?)');
  const insertPool = db.prepare(`INSERT INTO pools (id, address, dex_id, discovery_source) VALUES (?, ?, ?, 'trades')`);
  for (const poolId of missing) {
    const { network, address } = poolIdParts(poolId);
    const dex = placeholderDex(network);
    insertDex.run(dex.id, dex.name, dex.network);
    insertPool.run(poolId, address, dex.id);
  }
}

export function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the missing migrations in one IMMEDIATE transaction (so concurrent openers of the direct manager
 * serialize on it) and returns the versions applied; a database already at SCHEMA_VERSION is left untouched.
 * Foreign keys are off while migrating (a table rebuild drops a referenced table) and restored after.
 */
export function migrate(db: Database): number[] {
  if (userVersion(db) >= SCHEMA_VERSION) return [];
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  if (foreignKeys) db.pragma('foreign_keys = OFF');
  const applied: number[] = [];
  try {
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
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return applied;
}
