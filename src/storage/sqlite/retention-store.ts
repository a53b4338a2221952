// `prune`'s writes on an SQLite file: its own connection, used only in short BEGIN IMMEDIATE transactions (a chunk
// of deletions, a chunk of candles) with a busy timeout, so a collector running on the file meanwhile (its writer
// holds the other connection) waits at most one short transaction, as it does for any other program. Space comes
// back with an incremental vacuum when the file is in that mode; otherwise freed pages are reused in place.

import Database from 'better-sqlite3';
import { DatabaseOpenError } from '../../errors.ts';
import {
  type DayTrades,
  DELETE_CHUNK,
  groupDays,
  nextDay,
  type Reclaimed,
  type RetentionStore,
  type StoredCandle,
} from '../retention-store.ts';
import { storedTimestamp } from './trade-statements.ts';

const BUSY_TIMEOUT_MS = 10_000;
const CURSOR_IDS = 'SELECT last_trade_id FROM collection_state WHERE last_trade_id IS NOT NULL';
const CANDLE_CHUNK = 2000;
/** ohlcv_candles came with this schema step. */
const CANDLES_SINCE_VERSION = 6;

const UPSERT_CANDLE = `INSERT INTO ohlcv_candles (pool_id, timeframe, bucket_start, source, open, high, low, close, volume_usd,
  trades, buys, sells, buy_volume_usd, sell_volume_usd, fetched_at)
VALUES (?, ?, ?, 'trades', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pool_id, timeframe, bucket_start, source) DO UPDATE SET
  high = max(high, excluded.high), low = min(low, excluded.low), close = excluded.close,
  volume_usd = volume_usd + excluded.volume_usd, trades = trades + excluded.trades, buys = buys + excluded.buys,
  sells = sells + excluded.sells, buy_volume_usd = buy_volume_usd + excluded.buy_volume_usd,
  sell_volume_usd = sell_volume_usd + excluded.sell_volume_usd, fetched_at = excluded.fetched_at`;

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export function sqliteRetentionStore(path: string): RetentionStore {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    throw new DatabaseOpenError(`cannot open database file ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < CANDLES_SINCE_VERSION) {
    db.close();
    throw new DatabaseOpenError(
      `${path} is at schema version ${version}: run collect (or import) on it once so it gets the candles table prune keeps`,
    );
  }
  const inTransaction = <T>(fn: () => T): T => db.transaction(fn).immediate();
  const upsert = db.prepare(UPSERT_CANDLE);
  return {
    display: path,
    async days(cutoff: string, storedBefore: string): Promise<DayTrades[]> {
      const rows = db
        .prepare(
          `SELECT substr(block_timestamp, 1, 10) AS day, pool_id AS pool, count(*) AS n FROM trades
           WHERE block_timestamp < ? AND id NOT IN (${CURSOR_IDS}) AND (created_at IS NULL OR created_at < ?)
           GROUP BY day, pool_id ORDER BY day, pool_id`,
        )
        .all(`${cutoff} 00:00:00`, storedTimestamp(Date.parse(storedBefore))) as {
        day: string;
        pool: string;
        n: number;
      }[];
      return groupDays(rows);
    },
    async cursorTradeIds(): Promise<Set<string>> {
      const ids = db.prepare(CURSOR_IDS).pluck().all() as string[];
      return new Set(ids);
    },
    async keepCandles(candles: readonly StoredCandle[]): Promise<void> {
      const now = storedTimestamp();
      for (let i = 0; i < candles.length; i += CANDLE_CHUNK)
        inTransaction(() => {
          for (const c of candles.slice(i, i + CANDLE_CHUNK))
            upsert.run(
              c.poolId,
              c.timeframe,
              c.bucketStart,
              Number(c.open),
              Number(c.high),
              Number(c.low),
              Number(c.close),
              Number(c.volumeUsd),
              c.trades,
              c.buys,
              c.sells,
              Number(c.buyVolumeUsd),
              Number(c.sellVolumeUsd),
              now,
            );
        });
    },
    async deleteDay(poolId, day, storedBefore, keep, onChunk): Promise<number> {
      const stmt = db.prepare(
        `DELETE FROM trades WHERE rowid IN (SELECT rowid FROM trades
           WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ?
             AND (created_at IS NULL OR created_at < ?) AND id NOT IN (SELECT value FROM json_each(?)) LIMIT ?)`,
      );
      const keepJson = JSON.stringify(keep);
      const before = storedTimestamp(Date.parse(storedBefore));
      let deleted = 0;
      for (;;) {
        const n = inTransaction(
          () => stmt.run(poolId, `${day} 00:00:00`, `${nextDay(day)} 00:00:00`, before, keepJson, DELETE_CHUNK).changes,
        );
        if (n === 0) return deleted;
        deleted += n;
        onChunk?.(deleted);
        // Between chunks the collector's writer gets the file.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async reclaim(): Promise<Reclaimed> {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      const free = () => db.pragma('freelist_count', { simple: true }) as number;
      const mode = db.pragma('auto_vacuum', { simple: true }) as number;
      const before = free();
      if (mode === 2) {
        db.pragma('incremental_vacuum');
        const freed = before - free();
        return {
          freedPages: freed,
          freedBytes: freed * pageSize,
          message: `incremental vacuum: ${mib(freed * pageSize)} given back to the file system`,
        };
      }
      if (mode === 1)
        return { freedPages: 0, freedBytes: 0, message: 'auto_vacuum=FULL: the file shrank at each commit' };
      return {
        freedPages: 0,
        freedBytes: 0,
        message: `auto_vacuum is off on this file: the ${mib(before * pageSize)} freed stay in the file and are reused by new trades (prune --vacuum, with no collector running, rewrites it in incremental mode)`,
      };
    },
    async close(): Promise<void> {
      db.close();
    },
  };
}

/** Rewrites the whole file in incremental auto-vacuum mode (VACUUM: needs the file to itself); its bytes before and after. */
export function vacuumIntoIncremental(path: string): { before: number; after: number } {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const size = () =>
      (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    const before = size();
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    return { before, after: size() };
  } finally {
    db.close();
  }
}
