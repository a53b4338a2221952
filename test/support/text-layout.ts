// The tables gecko-collector created up to schema version 3 (amounts, prices and times declared TEXT): what
// migration 4 rebuilds into the one layout. Kept here verbatim so the upgrade is tested on a real old file.
export const TEXT_LAYOUT_V3 = `
CREATE TABLE dexes (
  id VARCHAR(50) NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  network VARCHAR(20) NOT NULL,
  last_updated TEXT,
  metadata_json TEXT
);
CREATE TABLE pools (
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
CREATE TABLE trades (
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
CREATE TABLE watchlist (
  id INTEGER NOT NULL PRIMARY KEY,
  pool_id VARCHAR(200) NOT NULL UNIQUE REFERENCES pools (id),
  token_symbol VARCHAR(50),
  token_name VARCHAR(200),
  network_address VARCHAR(100),
  is_active BOOLEAN NOT NULL,
  created_at TEXT,
  updated_at TEXT,
  metadata_json TEXT
);
CREATE TABLE collection_state (
  pool_id VARCHAR(100) NOT NULL PRIMARY KEY,
  last_trade_id VARCHAR(200),
  last_trade_timestamp TEXT,
  last_polled_at TEXT,
  updated_at TEXT
);
CREATE TABLE collection_gaps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pool_id VARCHAR(100) NOT NULL,
  gap_start TEXT NOT NULL,
  gap_end TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  trades_in_response INTEGER NOT NULL
);
CREATE INDEX idx_collection_gaps_pool ON collection_gaps (pool_id, detected_at);
CREATE INDEX idx_trades_pool_time ON trades (pool_id, block_timestamp);
PRAGMA user_version = 3;`;
