// The SQL views ohlcv_1m … ohlcv_1d, for Datasette, the sqlite3 CLI or psql: the same buckets, open/close order
// and omitted empty buckets as `gecko-collector ohlcv`. SQLite has no exact decimal type, so there prices and
// volumes are REAL (from the exact text); PostgreSQL's are exact numeric and its bucket_start a timestamptz.

import { TIMEFRAME_NAMES, TIMEFRAMES } from '../gecko/timeframes.ts';

// open and close without window functions (which keep SQLite up to at least 3.40 from pushing a view user's
// `WHERE pool_id = …` into the scan): the bucket's smallest and largest `block_timestamp ⟨1⟩ id ⟨1⟩ price` key
// is its first and last trade by block time then id (char(1) sorts below every character of a time or an id), and
// the price is the text after the key's second char(1).
const SEP = 'char(1)';
const afterSecondSep = (key: string) =>
  `substr(substr(${key}, instr(${key}, ${SEP}) + 1), instr(substr(${key}, instr(${key}, ${SEP}) + 1), ${SEP}) + 1)`;

function sqliteView(name: string, seconds: number, price: string, volume: string): string {
  return `CREATE VIEW ${name} AS
SELECT pool_id, bucket_start,
  CAST(${afterSecondSep('min(trade_key)')} AS REAL) AS open,
  max(price) AS high,
  min(price) AS low,
  CAST(${afterSecondSep('max(trade_key)')} AS REAL) AS close,
  total(volume) AS volume_usd,
  count(*) AS trades,
  sum(side = 'buy') AS buys,
  sum(side = 'sell') AS sells,
  total(CASE WHEN side = 'buy' THEN volume END) AS buy_volume_usd,
  total(CASE WHEN side = 'sell' THEN volume END) AS sell_volume_usd
FROM (
  SELECT pool_id, side,
    datetime(CAST(strftime('%s', block_timestamp) AS INTEGER) / ${seconds} * ${seconds}, 'unixepoch') AS bucket_start,
    block_timestamp || ${SEP} || id || ${SEP} || ${price} AS trade_key,
    CAST(${price} AS REAL) AS price,
    CAST(coalesce(${volume}, 0) AS REAL) AS volume
  FROM trades
  WHERE block_timestamp IS NOT NULL AND price_usd IS NOT NULL
)
GROUP BY pool_id, bucket_start;`;
}

/**
 * The SQLite views (dropped and created again): prices from the *_exact text, or the NUMERIC column in rows the
 * old Python collector wrote without it.
 */
export function sqliteOhlcvViewsSql(): string {
  const price = 'coalesce(price_usd_exact, price_usd)';
  const volume = 'coalesce(volume_usd_exact, volume_usd)';
  return TIMEFRAME_NAMES.map((t) => {
    const name = `ohlcv_${t}`;
    return `DROP VIEW IF EXISTS ${name};\n${sqliteView(name, TIMEFRAMES[t], price, volume)}`;
  }).join('\n');
}

/** The PostgreSQL views (exact numeric; trade ids ordered byte-wise as in SQLite). */
export const PG_OHLCV_VIEWS_SQL = TIMEFRAME_NAMES.map(
  (t) => `CREATE VIEW ohlcv_${t} AS
SELECT pool_id,
  date_bin(interval '${TIMEFRAMES[t]} seconds', block_timestamp, timestamptz '1970-01-01 00:00:00+00') AS bucket_start,
  (array_agg(price_usd ORDER BY block_timestamp, id COLLATE "C"))[1] AS open,
  max(price_usd) AS high,
  min(price_usd) AS low,
  (array_agg(price_usd ORDER BY block_timestamp DESC, id COLLATE "C" DESC))[1] AS close,
  coalesce(sum(volume_usd), 0) AS volume_usd,
  count(*) AS trades,
  count(*) FILTER (WHERE side = 'buy') AS buys,
  count(*) FILTER (WHERE side = 'sell') AS sells,
  coalesce(sum(volume_usd) FILTER (WHERE side = 'buy'), 0) AS buy_volume_usd,
  coalesce(sum(volume_usd) FILTER (WHERE side = 'sell'), 0) AS sell_volume_usd
FROM trades
WHERE price_usd IS NOT NULL
GROUP BY 1, 2;`,
).join('\n');
