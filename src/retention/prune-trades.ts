// The library call behind `gecko-collector prune`: trades of whole UTC days older than a cutoff are, day by day,
// written to the archive (when there is one) and read back, their candles kept in ohlcv_candles (source
// 'trades', so `ohlcv` still answers for those days), and only then deleted, in short transactions that let a
// collector running on the same database go on; at the end the space is reclaimed. A day whose archive fails
// stops the prune before anything of it is deleted. The trade each pool's cursor names is never deleted.

import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import { DatabaseInUseError } from '../errors.ts';
import { openTradeSource } from '../export/trade-source.ts';
import { TIMEFRAME_NAMES, timeframeSeconds } from '../gecko/timeframes.ts';
import { buildCandles } from '../ohlcv/candle-builder.ts';
import type { DayTrades, Reclaimed, RetentionStore, StoredCandle } from '../storage/retention-store.ts';
import { nextDay } from '../storage/retention-store.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import { storedTimestamp } from '../storage/sqlite/trade-statements.ts';
import type { CandleTrade, ExportRow, TradeFilter, TradeRowSource } from '../storage/trade-rows.ts';
import { archiveDay } from './day-archive.ts';

/** Rows stored this recently are left for the next prune: a write may still be committing when the archive reads. */
const SETTLE_MS = 60_000;

export interface PruneOptions {
  /** sqlite:///path.db or postgresql://… */
  url: string;
  /** Trades of UTC days that ended this long ago (ms) or more go. */
  olderThanMs: number;
  /** Where each day's trades are written first (`trades-YYYY-MM-DD.parquet`); none: they are deleted unarchived. */
  archiveDir?: string;
  /** Say what would go, change nothing. */
  dryRun?: boolean;
  /** Default: now. */
  now?: Date;
  onProgress?: (p: PruneProgress) => void;
  /** Rows stored this recently stay for the next prune (a write may still be committing). Default 60 s. */
  settleMs?: number;
}

export interface PruneProgress {
  day: string;
  step: 'archive' | 'candles' | 'delete' | 'done';
  dayIndex: number;
  days: number;
  deleted: number;
}

export interface PrunedDay {
  day: string;
  trades: number;
  archiveFile: string | null;
  archived: number;
  candles: number;
  deleted: number;
}

export interface PruneResult {
  /** Trades before this UTC midnight were considered (`YYYY-MM-DD`). */
  cutoff: string;
  dryRun: boolean;
  days: PrunedDay[];
  deleted: number;
  /** Trades kept because a pool's cursor names them. */
  keptForCursors: number;
  reclaimed: Reclaimed | null;
  /** A collector held the SQLite file meanwhile (pruned between its transactions). */
  besideCollector: boolean;
}

/** The UTC midnight on or before `now - olderThanMs`, as `YYYY-MM-DD`. */
export function pruneCutoff(now: Date, olderThanMs: number): string {
  return new Date(now.getTime() - olderThanMs).toISOString().slice(0, 10);
}

async function openStore(url: string): Promise<{ store: RetentionStore; path: string | undefined }> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  if (isPostgresUrl(url)) {
    // The pg driver loads only when the database is PostgreSQL.
    const { pgRetentionStore } = await import('../storage/postgres/retention-store.ts');
    return { store: await pgRetentionStore(settings.postgres!), path: undefined };
  }
  const { sqliteRetentionStore } = await import('../storage/sqlite/retention-store.ts');
  return { store: sqliteRetentionStore(settings.path), path: settings.path };
}

/**
 * The day's rows prune takes: stored before `storedBefore` (stored time text) and not named by a cursor. The
 * archive, the kept candles and the deletion all go by this one set, so each trade is counted once.
 */
async function* prunable(
  rows: AsyncIterable<ExportRow[]>,
  keep: ReadonlySet<string>,
  storedBefore: string,
): AsyncGenerator<ExportRow[]> {
  for await (const batch of rows)
    yield batch.filter((r) => !keep.has(r.id) && (r.createdAt === null || r.createdAt < storedBefore));
}

async function* candleTradesOf(rows: AsyncIterable<ExportRow[]>): AsyncGenerator<CandleTrade[]> {
  for await (const batch of rows)
    yield batch.map((r) => ({
      id: r.id,
      poolId: r.poolId,
      priceUsd: r.priceUsd ?? '0',
      volumeUsd: r.volumeUsd ?? '0',
      side: r.side ?? '',
      blockTimestamp: r.blockTimestamp ?? '',
    }));
}

/** Every timeframe's candles of the rows `read()` gives (one pass each). */
async function dayCandles(read: () => AsyncIterable<ExportRow[]>): Promise<StoredCandle[]> {
  const out: StoredCandle[] = [];
  for (const timeframe of TIMEFRAME_NAMES)
    for await (const batch of buildCandles(candleTradesOf(read()), timeframeSeconds(timeframe)))
      for (const c of batch) out.push({ ...c, timeframe });
  return out;
}

function untouched(d: DayTrades): PrunedDay {
  return { day: d.day, trades: d.trades, archiveFile: null, archived: 0, candles: 0, deleted: 0 };
}

export async function pruneTrades(options: PruneOptions): Promise<PruneResult> {
  const cutoff = pruneCutoff(options.now ?? new Date(), options.olderThanMs);
  const { store, path } = await openStore(options.url);
  let lock: DatabaseLock | undefined;
  let besideCollector = false;
  let source: TradeRowSource | undefined;
  try {
    // Held when free, so no collect starts meanwhile; a collector holding it already is worked beside.
    if (path !== undefined && !options.dryRun)
      try {
        lock = DatabaseLock.acquire(path);
      } catch (err) {
        if (!(err instanceof DatabaseInUseError)) throw err;
        besideCollector = true;
      }
    const settleMs = options.settleMs ?? SETTLE_MS;
    const days = await store.days(cutoff, new Date(Date.now() - settleMs).toISOString());
    const keep = await store.cursorTradeIds();
    const result: PruneResult = {
      cutoff,
      dryRun: options.dryRun === true,
      days: [],
      deleted: 0,
      keptForCursors: 0,
      reclaimed: null,
      besideCollector,
    };
    if (options.dryRun) {
      result.days = days.map(untouched);
      return result;
    }
    source = await openTradeSource(options.url);
    for (const [i, d] of days.entries()) {
      const report = (step: PruneProgress['step'], deleted = 0) =>
        options.onProgress?.({ day: d.day, step, dayIndex: i, days: days.length, deleted });
      const storedBefore = new Date(Date.now() - settleMs).toISOString();
      const filter: TradeFilter = {
        poolIds: d.pools,
        since: new Date(`${d.day}T00:00:00Z`),
        until: new Date(`${nextDay(d.day)}T00:00:00Z`),
      };
      const rows = () => prunable(source!.exportRows(filter), keep, storedTimestamp(Date.parse(storedBefore)));
      const pruned = untouched(d);
      if (options.archiveDir !== undefined) {
        report('archive');
        const archived = await archiveDay(options.archiveDir, d.day, rows());
        pruned.archiveFile = archived.file;
        pruned.archived = archived.rows;
      }
      report('candles');
      const candles = await dayCandles(rows);
      await store.keepCandles(candles);
      pruned.candles = candles.length;
      report('delete');
      for (const pool of d.pools)
        pruned.deleted += await store.deleteDay(pool, d.day, storedBefore, [...keep], (n) =>
          report('delete', pruned.deleted + n),
        );
      report('done', pruned.deleted);
      result.days.push(pruned);
      result.deleted += pruned.deleted;
    }
    result.keptForCursors = keep.size;
    result.reclaimed = await store.reclaim();
    return result;
  } finally {
    await source?.close();
    await store.close();
    lock?.release();
  }
}
