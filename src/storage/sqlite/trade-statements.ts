// The prepared statements of the write path (trades, pools, dexes, cursors, gaps), built once per
// connection, so the hot loop only binds values.

import type { Database, Statement } from 'better-sqlite3';
import { isRowLevelError } from '../../errors.ts';
import type { RejectedRow } from '../../protocol/messages.ts';
import type { CursorUpdate, DexRecord, GapRecord, PoolRecord } from '../../protocol/records.ts';
import { PLACEHOLDER_DEX_PREFIX, placeholderDex, poolIdParts } from '../../trades/pool-id.ts';
import { normalizeTimestamp, TRADE_FIELDS, type TradeRow } from '../../trades/trade-validation.ts';
import { finiteOrNull } from '../stored-values.ts';
import { CursorGuard } from './cursor-repair.ts';
import { FillStatements } from './fill-statements.ts';
import { EXACT_COLUMNS, numericValue } from './schema-migrations.ts';
import { NOTE_CONFLICTS_CLAUSE, TradeConflicts } from './trade-conflicts.ts';

// The validated row's values (TradeRow order) bind as they are, the amounts' text into the *_exact columns; then
// the same four amounts as numbers into the NUMERIC columns; created_at last.
const TRADE_COLUMNS = [
  'id',
  'pool_id',
  'block_number',
  'tx_hash',
  'tx_from_address',
  ...EXACT_COLUMNS,
  'side',
  'block_timestamp',
  'from_token_amount',
  'to_token_amount',
  'price_usd',
  'volume_usd',
  'created_at',
];

/** The named parameter every row's created_at binds to: one value per statement, not one per row. */
export const CREATED_AT_PARAM = 'createdAt';

/**
 * An INSERT of `rows` trades in one statement (multi-row VALUES: one VM run instead of `rows`). The trade values
 * bind as anonymous parameters (see appendTradeBindValues); created_at binds once, by name (`{ createdAt }`),
 * or with `ownCreatedAt` as one more anonymous parameter after each row's values (imports keep their rows' own).
 * Plain placeholders only: an expression such as NULLIF(?, '') per value made the whole INSERT measurably
 * slower, so empty optional fields arrive as null, not ''.
 */
export function tradeInsertSql(verb = 'INSERT OR IGNORE', rows = 1, ownCreatedAt = false): string {
  const createdAt = ownCreatedAt ? '?' : `@${CREATED_AT_PARAM}`;
  const tuple = `(${TRADE_COLUMNS.map((c) => (c === 'created_at' ? createdAt : '?')).join(', ')})`;
  return `${verb} INTO trades (${TRADE_COLUMNS.join(', ')}) VALUES ${new Array(rows).fill(tuple).join(', ')}`;
}

/**
 * The writer's INSERT of `rows` trades (as tradeInsertSql): a duplicate id is left as stored and counts no change,
 * as with INSERT OR IGNORE, and one with other contents is noted (trade-conflicts.ts). Unlike OR IGNORE, a row
 * that breaks another constraint is an error, so it is rejected with its reason instead of dropped in silence.
 */
export function tradeWriteSql(rows = 1, ownCreatedAt = false): string {
  return `${tradeInsertSql('INSERT', rows, ownCreatedAt)} ${NOTE_CONFLICTS_CLAUSE}`;
}

/** Anonymous bind values for one trade (see tradeInsertSql). */
export function tradeBindValues(row: TradeRow): unknown[] {
  const out: unknown[] = [];
  appendTradeBindValues(out, row, 0);
  return out;
}

/**
 * Appends the anonymous bind values of the validated trade at `values[at … at+10]` (a TradeRow, or a row inside a
 * flat array of them) to a multi-row statement's parameters, without a per-row array: its TRADE_FIELDS values as
 * they are, then its four amounts as numbers (Number() of a validated decimal: what the NUMERIC columns hold).
 */
export function appendTradeBindValues(out: unknown[], values: readonly unknown[], at: number): void {
  writeTradeBindValues(out, out.length, values, at);
}

/** Bound values per trade: its TRADE_FIELDS values, then its four amounts as numbers. */
export const TRADE_BIND_VALUES = TRADE_FIELDS + 4;

/**
 * Writes the bind values of the validated trade at `values[at …]` into `out` from index `to` (a parameter array
 * sized up front: no growth while filling); returns the index after them.
 */
export function writeTradeBindValues(out: unknown[], to: number, values: readonly unknown[], at: number): number {
  let o = to;
  for (let i = at; i < at + TRADE_FIELDS; i++) out[o++] = values[i];
  out[o++] = Number(values[at + 5] as string);
  out[o++] = Number(values[at + 6] as string);
  out[o++] = Number(values[at + 7] as string);
  out[o++] = Number(values[at + 8] as string);
  return o;
}

/** A time (default: now) in the stored DATETIME format, UTC `YYYY-MM-DD HH:MM:SS.ffffff`: lexicographic order is time order. */
export function storedTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}

/** Rows per multi-row INSERT in the writer. */
export const MULTI_ROW_CHUNK = 50;

export class WriteStatements {
  readonly insertTrade: Statement;
  private readonly insertManyBySize = new Map<number, Statement>();
  private readonly upsertPoolStmt: Statement;
  private readonly upsertDexStmt: Statement;
  private readonly upsertCursorStmt: Statement;
  private readonly insertGapStmt: Statement;
  private readonly poolExistsStmt: Statement;
  private readonly insertDexIfMissingStmt: Statement;
  private readonly insertStubPoolStmt: Statement;
  private readonly cursorGuard: CursorGuard;
  /** Notes and reads back duplicates stored with other contents (trade-conflicts.ts). */
  readonly conflicts: TradeConflicts;
  /** Backfill's and reconcile's records (fill-statements.ts), prepared on first use. */
  private fillStatements: FillStatements | undefined;

  constructor(private readonly db: Database) {
    // First: the writer's INSERT calls the function this registers.
    this.conflicts = new TradeConflicts(db);
    this.insertTrade = db.prepare(tradeWriteSql());
    this.upsertPoolStmt = db.prepare(`
      INSERT INTO pools (id, address, name, dex_id, base_token_id, quote_token_id, reserve_usd, created_at, last_updated, discovery_source, metadata_json)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET
        dex_id = CASE WHEN pools.dex_id LIKE '${PLACEHOLDER_DEX_PREFIX}%' THEN excluded.dex_id ELSE pools.dex_id END,
        name = coalesce(excluded.name, pools.name),
        reserve_usd = coalesce(excluded.reserve_usd, pools.reserve_usd),
        base_token_id = coalesce(excluded.base_token_id, pools.base_token_id),
        quote_token_id = coalesce(excluded.quote_token_id, pools.quote_token_id),
        last_updated = excluded.last_updated,
        metadata_json = coalesce(excluded.metadata_json, pools.metadata_json)`);
    this.upsertDexStmt = db.prepare(`
      INSERT INTO dexes (id, name, network, last_updated) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_updated = excluded.last_updated`);
    // A cursor never moves backwards: a late, older poll result must not rewind it. The rate estimate is the
    // latest poll's (one without an estimate keeps the stored one).
    this.upsertCursorStmt = db.prepare(`
      INSERT INTO collection_state (pool_id, last_trade_id, last_trade_timestamp, last_polled_at, updated_at,
        trade_rate_per_s, rate_observed_at, poll_interval_ms)
      VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE ? END, ?)
      ON CONFLICT (pool_id) DO UPDATE SET
        last_trade_id = CASE WHEN excluded.last_trade_timestamp >= coalesce(collection_state.last_trade_timestamp, '') THEN excluded.last_trade_id ELSE collection_state.last_trade_id END,
        last_trade_timestamp = max(excluded.last_trade_timestamp, coalesce(collection_state.last_trade_timestamp, '')),
        last_polled_at = max(excluded.last_polled_at, coalesce(collection_state.last_polled_at, '')),
        trade_rate_per_s = CASE WHEN excluded.trade_rate_per_s IS NOT NULL AND excluded.last_polled_at >= coalesce(collection_state.rate_observed_at, '') THEN excluded.trade_rate_per_s ELSE collection_state.trade_rate_per_s END,
        poll_interval_ms = CASE WHEN excluded.trade_rate_per_s IS NOT NULL AND excluded.last_polled_at >= coalesce(collection_state.rate_observed_at, '') THEN coalesce(excluded.poll_interval_ms, collection_state.poll_interval_ms) ELSE collection_state.poll_interval_ms END,
        rate_observed_at = CASE WHEN excluded.trade_rate_per_s IS NOT NULL AND excluded.last_polled_at >= coalesce(collection_state.rate_observed_at, '') THEN excluded.last_polled_at ELSE collection_state.rate_observed_at END,
        updated_at = excluded.updated_at`);
    this.cursorGuard = new CursorGuard(db);
    this.insertGapStmt = db.prepare(
      `INSERT INTO collection_gaps (pool_id, gap_start, gap_end, detected_at, trades_in_response, estimated_missed) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.poolExistsStmt = db.prepare('SELECT 1 FROM pools WHERE id = ?').pluck();
    this.insertDexIfMissingStmt = db.prepare(
      'INSERT OR IGNORE INTO dexes (id, name, network, last_updated) VALUES (?, ?, ?, ?)',
    );
    this.insertStubPoolStmt = db.prepare(
      `INSERT OR IGNORE INTO pools (id, address, dex_id, discovery_source, last_updated) VALUES (?, ?, ?, 'trades', ?)`,
    );
  }

  /**
   * A pools row for a pool id nobody has described yet, pointing to its network's placeholder dex, so the
   * trade's foreign key holds (connections that write run with foreign_keys=ON, as the Python collector's did);
   * the pool's metadata, when it comes, fills the row in (upsertPool).
   */
  ensurePool(poolId: string, now: string, known?: Set<string>): void {
    if (known?.has(poolId)) return;
    known?.add(poolId);
    if (this.poolExistsStmt.get(poolId) !== undefined) return;
    const { network, address } = poolIdParts(poolId);
    const dex = placeholderDex(network);
    this.insertDexIfMissingStmt.run(dex.id, dex.name, dex.network, now);
    this.insertStubPoolStmt.run(poolId, address, dex.id, now);
  }

  /** The writer's INSERT of n rows at once (tradeWriteSql), prepared on first use per size and created_at binding. */
  insertTrades(n: number, ownCreatedAt = false): Statement {
    if (n === 1 && !ownCreatedAt) return this.insertTrade;
    const key = ownCreatedAt ? -n : n;
    let stmt = this.insertManyBySize.get(key);
    if (!stmt) {
      stmt = this.db.prepare(tradeWriteSql(n, ownCreatedAt));
      this.insertManyBySize.set(key, stmt);
    }
    return stmt;
  }

  upsertPool(p: PoolRecord, now: string): void {
    // A pool record names its dex; one whose dexes row did not come along gets a minimal one (name = id).
    if (typeof p.dexId === 'string' && typeof p.id === 'string')
      this.insertDexIfMissingStmt.run(p.dexId, p.dexId, poolIdParts(p.id).network, now);
    this.upsertPoolStmt.run(
      p.id,
      p.address,
      p.name,
      p.dexId,
      p.baseTokenId,
      p.quoteTokenId,
      numericValue(p.reserveUsd),
      p.createdAt === null ? null : (normalizeTimestamp(p.createdAt) ?? p.createdAt),
      now,
      p.discoverySource,
      p.metadataJson,
    );
  }

  upsertDex(d: DexRecord, now: string): void {
    this.upsertDexStmt.run(d.id, d.name, d.network, now);
  }

  /**
   * Moves a pool's cursor, never past a trade that is not stored nor later than `latest` (cursor-guard.ts).
   * Returns false when the pool has no stored trade it could point to (nothing written).
   */
  upsertCursor(c: CursorUpdate, now: string, latest: string): boolean {
    const polledAt = ts(c.polledAt, 'polledAt');
    const at = this.cursorGuard.position(c, ts(c.lastTradeTimestamp, 'lastTradeTimestamp'), latest);
    if (!at) return false;
    const rate = finiteOrNull(c.tradeRatePerS);
    this.upsertCursorStmt.run(
      c.poolId,
      at.id,
      at.timestamp,
      polledAt,
      now,
      rate,
      rate,
      polledAt,
      finiteOrNull(c.pollIntervalMs === undefined ? undefined : Math.round(c.pollIntervalMs)),
    );
    return true;
  }

  get fills(): FillStatements {
    this.fillStatements ??= new FillStatements(this.db);
    return this.fillStatements;
  }

  insertGap(g: GapRecord): void {
    this.insertGapStmt.run(
      g.poolId,
      ts(g.gapStart, 'gapStart'),
      ts(g.gapEnd, 'gapEnd'),
      ts(g.detectedAt, 'detectedAt'),
      g.tradesInResponse,
      finiteOrNull(g.estimatedMissed),
    );
  }
}

/**
 * Runs `write` on each record inside the caller's transaction. A record SQLite or validation refuses is
 * pushed to `rejected` (by its id, else `#index`) and the rest go on; any other error throws.
 */
export function eachRecord<T>(
  items: readonly T[] | undefined,
  idOf: (t: T) => unknown,
  write: (t: T) => void,
  rejected: RejectedRow[],
): void {
  if (!items) return;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    try {
      write(item);
    } catch (err) {
      if (!isRowLevelError(err)) throw err;
      const id = idOf(item);
      rejected.push({
        id: typeof id === 'string' ? id : `#${i}`,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

/** What the `pools` and `dexes` tables get from a GeckoTerminal pools response. */
export interface PoolMetadata {
  pools?: readonly PoolRecord[];
  dexes?: readonly DexRecord[];
}

/** Dexes, then pools, inside the caller's transaction: the funnel's writer and the direct manager both store metadata this way. */
export function storePoolMetadata(s: WriteStatements, meta: PoolMetadata, now: string, rejected: RejectedRow[]): void {
  eachRecord(
    meta.dexes,
    (d) => d?.id,
    (d) => s.upsertDex(d, now),
    rejected,
  );
  eachRecord(
    meta.pools,
    (p) => p?.id,
    (p) => s.upsertPool(p, now),
    rejected,
  );
}

function ts(value: string, field: string): string {
  const n = typeof value === 'string' ? normalizeTimestamp(value) : null;
  if (n === null) throw new TypeError(`${field} ${JSON.stringify(value)} is not a valid date-time`);
  return n;
}
