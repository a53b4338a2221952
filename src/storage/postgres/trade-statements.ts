// The write path's SQL on PostgreSQL: one prepared `INSERT … SELECT FROM unnest(…)` per batch (one plan for any
// batch size, eleven array parameters instead of eleven per row), the pool/dex upserts, the cursor upsert that
// never moves backwards (and, when pools are shared through leases, only for the lease's current holder), the
// gap insert that a redelivered batch does not repeat, and stub rows for pools nobody described yet.

import type { CursorUpdate, DexRecord, GapRecord, MembershipRecord, PoolRecord } from '../../protocol/records.ts';
import { PLACEHOLDER_DEX_PREFIX, placeholderDexName } from '../../trades/pool-id.ts';
import { TRADE_ROW_COLUMNS } from '../../trades/trade-columns.ts';
import { normalizeTimestamp, TRADE_FIELDS } from '../../trades/trade-validation.ts';
import { finiteOrNull } from '../stored-values.ts';

/** The trades columns a TradeRow binds, in its order. */
export const TRADE_COLUMNS = TRADE_ROW_COLUMNS;

/**
 * Prepared once per connection by name; the casts turn the text arrays into numeric and timestamptz server-side.
 * created_at is the row's own (imports keep the old collector's) or, when null, the transaction's time.
 */
export const INSERT_TRADES = {
  name: 'gecko_insert_trades',
  text: `INSERT INTO trades (${TRADE_COLUMNS.join(', ')}, created_at)
SELECT id, pool_id, block_number, tx_hash, tx_from_address, fta::numeric, tta::numeric, pu::numeric, vu::numeric, side,
       bts::timestamptz, coalesce(ca::timestamptz, now())
FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::text[], $11::text[], $12::text[])
  AS u(id, pool_id, block_number, tx_hash, tx_from_address, fta, tta, pu, vu, side, bts, ca)
ON CONFLICT (id) DO NOTHING`,
};

/**
 * The unnest parameters of the validated rows at `offsets` of `flat` (TRADE_FIELDS values per row, as the
 * writer's validation leaves them: timestamps normalized to UTC text, which the session's TimeZone=UTC reads),
 * then the rows' own created_at (`createdAt[row]`, see batchValues; null or absent: the write time).
 */
export function tradeArrays(
  flat: readonly unknown[],
  offsets: ArrayLike<number>,
  createdAt?: readonly (string | null)[],
): unknown[][] {
  const n = offsets.length;
  const columns: unknown[][] = Array.from({ length: TRADE_FIELDS + 1 }, () => new Array(n));
  for (let i = 0; i < n; i++) {
    const at = offsets[i]!;
    for (let f = 0; f < TRADE_FIELDS; f++) columns[f]![i] = flat[at + f];
    columns[TRADE_FIELDS]![i] = createdAt?.[at / TRADE_FIELDS] ?? null;
  }
  return columns;
}

export const UPSERT_DEX = {
  name: 'gecko_upsert_dex',
  text: `INSERT INTO dexes (id, name, network, last_updated) VALUES ($1, $2, $3, now())
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, network = EXCLUDED.network, last_updated = EXCLUDED.last_updated`,
};

export function dexValues(d: DexRecord): unknown[] {
  return [d.id, d.name, d.network];
}

/**
 * The dexes rows that pools nobody has described yet point to (trades reference pools, pools reference dexes):
 * one per network, as on SQLite (trades/pool-id.ts: placeholderDex, poolIdParts). Earlier versions used one
 * dex 'unknown' for all; a pool still pointing to it is filled in the same way.
 */
const LEGACY_UNKNOWN_DEX = 'unknown';
const IS_PLACEHOLDER_DEX = (column: string) =>
  `(${column} = '${LEGACY_UNKNOWN_DEX}' OR starts_with(${column}, '${PLACEHOLDER_DEX_PREFIX}'))`;
/** poolIdParts in SQL: network before the last underscore, address after it; no prefix: network 'unknown'. */
const PREFIXED = `u.id ~ '^.+_[^_]+$'`;
const NETWORK_OF_ID = `CASE WHEN ${PREFIXED} THEN regexp_replace(u.id, '_[^_]*$', '') ELSE 'unknown' END`;
const ADDRESS_OF_ID = `CASE WHEN ${PREFIXED} THEN regexp_replace(u.id, '^.*_', '') ELSE u.id END`;

export const UPSERT_POOL = {
  name: 'gecko_upsert_pool',
  text: `INSERT INTO pools (id, address, name, dex_id, base_token_id, quote_token_id, reserve_usd, created_at, last_updated,
                   discovery_source, metadata_json)
VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8::timestamptz, now(), $9, $10::jsonb)
ON CONFLICT (id) DO UPDATE SET
  address = EXCLUDED.address,
  dex_id = CASE WHEN ${IS_PLACEHOLDER_DEX('pools.dex_id')} THEN EXCLUDED.dex_id ELSE pools.dex_id END,
  name = coalesce(EXCLUDED.name, pools.name),
  reserve_usd = coalesce(EXCLUDED.reserve_usd, pools.reserve_usd),
  base_token_id = coalesce(EXCLUDED.base_token_id, pools.base_token_id),
  quote_token_id = coalesce(EXCLUDED.quote_token_id, pools.quote_token_id),
  created_at = coalesce(EXCLUDED.created_at, pools.created_at),
  last_updated = EXCLUDED.last_updated,
  discovery_source = coalesce(pools.discovery_source, EXCLUDED.discovery_source),
  metadata_json = coalesce(EXCLUDED.metadata_json, pools.metadata_json)`,
};

export function poolValues(p: PoolRecord): unknown[] {
  return [
    p.id,
    p.address,
    p.name,
    p.dexId,
    p.baseTokenId,
    p.quoteTokenId,
    p.reserveUsd,
    p.createdAt === null ? null : utc(p.createdAt, 'createdAt'),
    p.discoverySource,
    p.metadataJson,
  ];
}

/** The placeholder dex of every network among the pool ids $1 (see ENSURE_POOLS). */
export const ENSURE_PLACEHOLDER_DEXES = {
  name: 'gecko_ensure_placeholder_dexes',
  text: `INSERT INTO dexes (id, name, network)
SELECT DISTINCT '${PLACEHOLDER_DEX_PREFIX}' || n.network,
       '${placeholderDexName("' || n.network || '")}', n.network
FROM (SELECT ${NETWORK_OF_ID} AS network FROM unnest($1::text[]) AS u(id)) AS n
ON CONFLICT (id) DO NOTHING`,
};

/**
 * A stub pools row for each id not stored yet, so a trade never fails its foreign key because its pool's
 * metadata did not arrive first: the address and network from the id (poolIdParts), the network's placeholder
 * dex. A later metadata write fills the row in (see UPSERT_POOL).
 */
export const ENSURE_POOLS = {
  name: 'gecko_ensure_pools',
  text: `INSERT INTO pools (id, address, dex_id, discovery_source)
SELECT u.id, ${ADDRESS_OF_ID}, '${PLACEHOLDER_DEX_PREFIX}' || ${NETWORK_OF_ID}, 'trades' FROM unnest($1::text[]) AS u(id)
ON CONFLICT (id) DO NOTHING`,
};

/**
 * The cursor moves only forward: a late, older result never rewinds it. With a lease holder ($5) it moves only
 * while that holder holds the pool's lease in that epoch ($6): a process that lost a pool cannot move it. It
 * moves only onto a stored trade no later than $7 (the clock-skew allowance): the named one, else the newest
 * stored trade of the pool no later than the named time; none, and nothing is written.
 */
/** The rate estimate is the latest poll's: one without an estimate, or a late older one, keeps the stored one. */
const NEWER_RATE =
  'EXCLUDED.trade_rate_per_s IS NOT NULL AND (s.rate_observed_at IS NULL OR EXCLUDED.rate_observed_at >= s.rate_observed_at)';

export const UPSERT_CURSOR = {
  name: 'gecko_upsert_cursor',
  text: `WITH named AS (
  SELECT id, block_timestamp AS ts FROM trades WHERE id = $2 AND pool_id = $1 AND block_timestamp <= $7::timestamptz
), target AS (
  SELECT id, ts FROM named
  UNION ALL
  (SELECT id, block_timestamp FROM trades
   WHERE pool_id = $1 AND block_timestamp <= least($3::timestamptz, $7::timestamptz) AND NOT EXISTS (SELECT 1 FROM named)
   ORDER BY block_timestamp DESC, id DESC LIMIT 1)
)
INSERT INTO collection_state AS s (pool_id, last_trade_id, last_trade_timestamp, last_polled_at, updated_at,
  trade_rate_per_s, rate_observed_at, poll_interval_ms)
SELECT $1, target.id, target.ts, $4::timestamptz, now(),
  $8::double precision, CASE WHEN $8::double precision IS NULL THEN NULL ELSE $4::timestamptz END, $9::integer FROM target
WHERE $5::text IS NULL
   OR EXISTS (SELECT 1 FROM pool_leases l
              WHERE l.pool_id = $1 AND l.holder = $5 AND l.epoch = $6::bigint AND l.expires_at > now())
ON CONFLICT (pool_id) DO UPDATE SET
  last_trade_id = CASE WHEN s.last_trade_timestamp IS NULL OR EXCLUDED.last_trade_timestamp >= s.last_trade_timestamp
                       THEN EXCLUDED.last_trade_id ELSE s.last_trade_id END,
  last_trade_timestamp = greatest(s.last_trade_timestamp, EXCLUDED.last_trade_timestamp),
  last_polled_at = greatest(s.last_polled_at, EXCLUDED.last_polled_at),
  trade_rate_per_s = CASE WHEN ${NEWER_RATE} THEN EXCLUDED.trade_rate_per_s ELSE s.trade_rate_per_s END,
  poll_interval_ms = CASE WHEN ${NEWER_RATE} THEN coalesce(EXCLUDED.poll_interval_ms, s.poll_interval_ms) ELSE s.poll_interval_ms END,
  rate_observed_at = CASE WHEN ${NEWER_RATE} THEN EXCLUDED.rate_observed_at ELSE s.rate_observed_at END,
  updated_at = now()`,
};

/** `latest`: the latest accepted block time (latestAcceptedTime), in the stored format. */
export function cursorValues(c: CursorUpdate, holder: string | undefined, latest: string): unknown[] {
  const fenced = holder !== undefined && c.leaseEpoch !== undefined;
  return [
    c.poolId,
    c.lastTradeId,
    utc(c.lastTradeTimestamp, 'lastTradeTimestamp'),
    utc(c.polledAt, 'polledAt'),
    fenced ? holder : null,
    fenced ? c.leaseEpoch : null,
    latest,
    finiteOrNull(c.tradeRatePerS),
    finiteOrNull(c.pollIntervalMs === undefined ? undefined : Math.round(c.pollIntervalMs)),
  ];
}

export const INSERT_GAP = {
  name: 'gecko_insert_gap',
  text: `INSERT INTO collection_gaps (pool_id, gap_start, gap_end, detected_at, trades_in_response, estimated_missed)
VALUES ($1, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5, $6::double precision)
ON CONFLICT (pool_id, gap_start, gap_end) DO NOTHING`,
};

export function gapValues(g: GapRecord): unknown[] {
  return [
    g.poolId,
    utc(g.gapStart, 'gapStart'),
    utc(g.gapEnd, 'gapEnd'),
    utc(g.detectedAt, 'detectedAt'),
    g.tradesInResponse,
    finiteOrNull(g.estimatedMissed),
  ];
}

// One row per pool: a pool that joins again starts a new membership (left_at cleared).
export const JOIN_POOL = {
  name: 'gecko_join_pool',
  text: `INSERT INTO pool_membership (pool_id, source, joined_at, left_at) VALUES ($1, $2, $3::timestamptz, NULL)
ON CONFLICT (pool_id) DO UPDATE SET source = EXCLUDED.source, joined_at = EXCLUDED.joined_at, left_at = NULL`,
};

export const LEAVE_POOL = {
  name: 'gecko_leave_pool',
  text: 'UPDATE pool_membership SET left_at = $2::timestamptz WHERE pool_id = $1 AND left_at IS NULL',
};

/** The statement and values of a membership record. */
export function membershipQuery(m: MembershipRecord): { name: string; text: string; values: unknown[] } {
  const at = utc(m.at, 'at');
  return m.event === 'joined'
    ? { ...JOIN_POOL, values: [m.poolId, m.source, at] }
    : { ...LEAVE_POOL, values: [m.poolId, at] };
}

/** A time as the UTC text the session (TimeZone=UTC) reads; TypeError (a bad row) when it is not a time. */
function utc(value: string, field: string): string {
  const n = typeof value === 'string' ? normalizeTimestamp(value) : null;
  if (n === null) throw new TypeError(`${field} ${JSON.stringify(value)} is not a valid date-time`);
  return n;
}

/**
 * A stored timestamptz as the SQLite layout's text (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), so cursors and trade
 * times read from either store compare alike. Use in SELECT lists: `${storedText('block_timestamp')}`.
 */
export function storedText(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
}
