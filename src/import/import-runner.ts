// Drives one import: validates each record where its line number is known, groups the valid ones into
// batches for the write funnel with a few in flight, and tallies what the writer acknowledged.

import type { StoreResult } from '../batch/trade-store.ts';
import { DEFAULT_DATABASE_CONFIG } from '../config/database-config.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { checkCreatedAt, tradeFromRow, validateTrade } from '../trades/trade-validation.ts';
import { ImportFailedError } from './import-errors.ts';
import {
  type ImportItem,
  type ImportReject,
  type ImportSummary,
  type SourceLocation,
  UNKNOWN_ID,
} from './import-source.ts';

/** Where batches go: the funnel manager (or anything with its store method, in tests). */
export interface TradeSink {
  /** `deferred`: the batch went to the durable deferred queue, to be written when the database takes writes. */
  storeTradeDataOptimized(trades: readonly TradeRecord[]): Promise<StoreResult & { deferred?: boolean }>;
}

export interface ImportRunOptions {
  /** Trades per batch sent to the writer. */
  batchSize: number;
  /** Batches awaiting their ack at once; the writer group-commits them, the reader keeps reading meanwhile. */
  maxInFlight?: number;
  /** Rejected records kept with details; the rest are only counted (memory stays bounded on a bad file). */
  maxRejectDetails?: number;
  /** Called after each acknowledged batch with the counts so far (for a progress line on long imports). */
  onProgress?: (progress: ImportProgress) => void;
}

export type ImportProgress = Pick<
  ImportSummary,
  'records' | 'imported' | 'duplicates' | 'deferred' | 'rejected' | 'batches'
>;

export const DEFAULT_MAX_REJECT_DETAILS = 10_000;

interface Batch {
  trades: TradeRecord[];
  locations: SourceLocation[];
  ordinals: number[];
}

interface OrderedReject extends ImportReject {
  ordinal: number;
}

/**
 * Imports every item of `source` into `sink`. Batches are independent transactions: when one fails, the
 * run stops, waits for the batches already sent, and throws ImportFailedError with the acknowledged counts
 * (those rows are committed and stay; importing again skips them as duplicates).
 */
export async function runImport(
  source: AsyncIterable<ImportItem>,
  sink: TradeSink,
  options: ImportRunOptions,
): Promise<ImportSummary> {
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_DATABASE_CONFIG.maxInFlight);
  const maxDetails = options.maxRejectDetails ?? DEFAULT_MAX_REJECT_DETAILS;
  const totals = { records: 0, imported: 0, duplicates: 0, deferred: 0, rejected: 0, batches: 0 };
  const rejects: OrderedReject[] = [];
  const inFlight = new Set<Promise<void>>();
  let writeError: unknown;
  let batch: Batch = { trades: [], locations: [], ordinals: [] };

  const reject = (location: SourceLocation, id: string, reason: string, ordinal: number) => {
    totals.rejected++;
    if (rejects.length < maxDetails) rejects.push({ line: location.line, at: location.at, id, reason, ordinal });
  };

  const send = (b: Batch) => {
    const p = sink.storeTradeDataOptimized(b.trades).then(
      (ack) => {
        totals.batches++;
        if (ack.deferred) {
          // Durable but not yet in the database: neither imported nor duplicate until the replay decides.
          totals.deferred += b.trades.length;
        } else {
          totals.imported += ack.inserted;
          totals.duplicates += ack.duplicates;
          for (const r of ack.rejected) {
            // The writer names a row by its id, or `#index` when it had none usable.
            const index = r.id.startsWith('#') ? Number(r.id.slice(1)) : b.trades.findIndex((t) => t.id === r.id);
            const at = b.locations[index];
            reject(at ?? { line: null, at: 'batch' }, r.id, r.reason, b.ordinals[index] ?? Number.MAX_SAFE_INTEGER);
          }
        }
        options.onProgress?.({ ...totals });
      },
      (err: unknown) => {
        writeError ??= err;
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const flush = async () => {
    if (batch.trades.length > 0) {
      send(batch);
      batch = { trades: [], locations: [], ordinals: [] };
    }
    // Backpressure: read on only while fewer than maxInFlight batches wait for their ack.
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  };

  const summary = (): ImportSummary => {
    rejects.sort((a, b) => a.ordinal - b.ordinal);
    return {
      ...totals,
      rejects: rejects.map(({ ordinal: _ordinal, ...r }) => r),
      rejectsOmitted: totals.rejected - rejects.length,
    };
  };

  let readError: unknown;
  try {
    for await (const item of source) {
      const ordinal = totals.records++;
      if (item.kind === 'unparsable') {
        reject(item.location, item.id, item.reason, ordinal);
        continue;
      }
      const v = validateTrade(item.candidate, 0);
      if (!v.ok) {
        const id = item.candidate.id;
        reject(
          item.location,
          v.id !== '#0' ? v.id : typeof id === 'string' && id !== '' ? id.slice(0, 200) : UNKNOWN_ID,
          v.reason,
          ordinal,
        );
        continue;
      }
      const createdAt = checkCreatedAt(item.candidate.createdAt);
      if (!createdAt.ok) {
        reject(item.location, v.row[0], createdAt.reason, ordinal);
        continue;
      }
      // The old collector's first sighting is kept; without one the writer stores the import time.
      const trade = tradeFromRow(v.row);
      if (createdAt.value !== null) trade.createdAt = createdAt.value;
      batch.trades.push(trade);
      batch.locations.push(item.location);
      batch.ordinals.push(ordinal);
      if (batch.trades.length >= options.batchSize) await flush();
      if (writeError !== undefined) break;
    }
  } catch (err) {
    readError = err;
  }
  // What was read before a read error is valid and is stored too; after a write error nothing more is sent.
  if (writeError === undefined) await flush();
  await Promise.all(inFlight);

  // A file rejected before its first record (no CSV header, not a trades document) is its own clear error.
  if (writeError === undefined && readError !== undefined && totals.records === 0) throw readError;
  const failure = writeError ?? readError;
  if (failure !== undefined) {
    const what = writeError !== undefined ? 'a write failed' : 'reading the file failed';
    throw new ImportFailedError(
      `import stopped: ${what}: ${(failure as Error).message ?? String(failure)}`,
      summary(),
      { cause: failure },
    );
  }
  return summary();
}
