// The writer thread: holds the only read-write SQLite connection. Data ports (one per collector) bring
// batches to the group-commit engine; the main thread drives it over comlink (open, attach, metrics, drain, close).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { osThreadId } from '../src/common/os-thread-id.ts';
import { DatabaseOpenError, StateError } from '../src/errors.ts';
import { componentLogger } from '../src/logging/logger.ts';
import { adoptThreadLogLink } from '../src/logging/thread-logs.ts';
import { BreakerStateView } from '../src/protocol/breaker-gate.ts';
import type {
  WriterControl,
  WriterMetrics,
  WriterOpenInfo,
  WriterThreadData,
  WriterWiring,
} from '../src/protocol/messages.ts';
import type { WriterSettings } from '../src/protocol/writer-settings.ts';
import { applyWriteConnectionSettings, describeConnection } from '../src/storage/sqlite/connection-settings.ts';
import { logRepairedCursors, repairCursors } from '../src/storage/sqlite/cursor-repair.ts';
import { migrate, userVersion } from '../src/storage/sqlite/schema-migrations.ts';
import { sqliteVersion } from '../src/storage/sqlite/sqlite-version.ts';
import { WriteStatements } from '../src/storage/sqlite/trade-statements.ts';
import { latestAcceptedTime } from '../src/trades/trade-validation.ts';
import { DataPorts, settle } from '../src/writer/data-ports.ts';
import { GroupCommitWriter } from '../src/writer/group-commit-writer.ts';

if (!parentPort) throw new Error('writer-thread.js must run as a worker thread');

adoptThreadLogLink((workerData as WriterThreadData | null)?.log);
const log = componentLogger('writer');
let db: Database.Database | undefined;
let engine: GroupCommitWriter | undefined;
let settings: WriterSettings | undefined;
const ports = new DataPorts(log);
let outcomes: MessagePort | undefined;
const CLOSE_SETTLE_MS = 200;

function requireOpen(): { db: Database.Database; engine: GroupCommitWriter; settings: WriterSettings } {
  if (!db || !engine || !settings) throw new StateError('writer is not open');
  return { db, engine, settings };
}

const control: WriterControl = {
  open(s: WriterSettings, wiring: WriterWiring = {}): WriterOpenInfo {
    if (db) throw new StateError('writer is already open');
    settings = s;
    try {
      db = new Database(s.path, s.echo ? { verbose: (sql: unknown) => log.debug({ sql }, 'sql') } : {});
    } catch (err) {
      throw new DatabaseOpenError(`cannot open database file ${s.path}: ${(err as Error).message}`, { cause: err });
    }
    const journalMode = applyWriteConnectionSettings(db, s, 'funnel-writer');
    const migrationsApplied = migrate(db);
    const repaired = repairCursors(db, latestAcceptedTime(s.maxClockSkewMs));
    logRepairedCursors(log, repaired);
    outcomes = wiring.outcomes;
    const outcomePort = outcomes;
    engine = new GroupCommitWriter(db, new WriteStatements(db), s, log, {
      ...(wiring.gate ? { gate: BreakerStateView.fromShared(wiring.gate) } : {}),
      ...(outcomePort ? { onOutcome: (o) => outcomePort.postMessage(o) } : {}),
    });
    log.info({ path: s.path, journalMode, migrationsApplied }, 'writer open');
    return {
      engine: 'sqlite',
      journalMode,
      userVersion: userVersion(db),
      schemaFlavor: 'numeric-exact',
      sqliteVersion: sqliteVersion(db),
      migrationsApplied,
      cursorsRepaired: repaired.length,
      osThreadId: osThreadId(),
    };
  },

  attach(port: MessagePort): void {
    ports.attach(port, requireOpen().engine);
  },

  getMetrics(): WriterMetrics {
    const { db: d, engine: e } = requireOpen();
    const c = e.counters;
    return {
      ...describeConnection(d),
      transactions: c.transactions,
      batchesCommitted: c.batchesCommitted,
      batchesFailed: c.batchesFailed,
      tradeBatches: c.tradeBatches,
      tradeRows: c.tradeRows,
      tradeBatchesByReason: structuredClone(c.tradeBatchesByReason),
      rowsInserted: c.rowsInserted,
      duplicates: c.duplicates,
      conflicts: c.conflicts,
      conflictsByPool: Object.fromEntries(e.conflictsByPool),
      rejected: c.rejected,
      busyWaits: c.busyWaits,
      busyRetries: c.busyRetries,
      lockErrors: c.lockErrors,
      lockWaitMs: c.lockWaitMs,
      backlogBatches: e.backlog,
      commitMs: e.commitLatency.summary(),
      avgBatchesPerTransaction: c.transactions ? c.batchesInTransactions / c.transactions : 0,
      connectedPorts: ports.size,
      walPages: c.walPages,
      checkpoints: c.checkpoints,
    };
  },

  checkpoint(mode) {
    return requireOpen().engine.checkpoint(mode);
  },

  setPageLimit(pages: number): number {
    const { db: d } = requireOpen();
    // SQLite cannot lower the cap below the current size; 0 means "no cap" (its own maximum).
    const target = pages > 0 ? Math.trunc(pages) : 4294967294;
    return d.pragma(`max_page_count = ${target}`, { simple: true }) as number;
  },

  async drain(): Promise<void> {
    await settle(requireOpen().engine, Number.POSITIVE_INFINITY);
  },

  async close(): Promise<void> {
    if (!db || !engine) return;
    // Batches posted before close() may still sit in port queues; senders that keep posting while we
    // close would keep us open forever, so after a short settle newer batches are nacked (senders keep them).
    await settle(engine, CLOSE_SETTLE_MS);
    await engine.close();
    ports.closeAll();
    outcomes?.close();
    outcomes = undefined;
    db.close();
    db = undefined;
    engine = undefined;
    log.info('writer closed');
  },
};

Comlink.expose(control, nodeEndpoint(parentPort));
