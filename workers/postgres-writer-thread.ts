// The PostgreSQL writer thread: holds this process's only write connection to the server. Same control surface
// and data plane as the SQLite writer thread (writer-thread.ts): data ports (one per sender) bring batches to
// the PostgreSQL group-commit engine; the main thread drives it over comlink (open, attach, metrics, drain, close).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { osThreadId } from '../src/common/os-thread-id.ts';
import { StateError } from '../src/errors.ts';
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
import type { PostgresSettings, WriterSettings } from '../src/protocol/writer-settings.ts';
import { connectPgOrFail, pgServerVersion } from '../src/storage/postgres/connection.ts';
import { repairPgCursors } from '../src/storage/postgres/cursor-repair.ts';
import { migratePostgres, PG_SCHEMA_VERSION } from '../src/storage/postgres/schema-migrations.ts';
import { PgGroupCommitWriter } from '../src/storage/postgres/write-engine.ts';
import { logRepairedCursors, type RepairedCursor } from '../src/storage/sqlite/cursor-repair.ts';
import { latestAcceptedTime } from '../src/trades/trade-validation.ts';
import { DataPorts, settle } from '../src/writer/data-ports.ts';

if (!parentPort) throw new Error('pg-writer-thread.js must run as a worker thread');

adoptThreadLogLink((workerData as WriterThreadData | null)?.log);
const log = componentLogger('writer', { engine: 'postgres' });
let engine: PgGroupCommitWriter | undefined;
let settings: WriterSettings | undefined;
let serverSettings = { synchronousCommit: 'on', lockTimeoutMs: 0 };
const ports = new DataPorts(log);
let outcomes: MessagePort | undefined;
const CLOSE_SETTLE_MS = 200;

function requireOpen(): { engine: PgGroupCommitWriter; settings: WriterSettings } {
  if (!engine || !settings) throw new StateError('writer is not open');
  return { engine, settings };
}

function pgOf(s: WriterSettings): PostgresSettings {
  if (!s.postgres) throw new StateError('the PostgreSQL writer needs PostgreSQL settings');
  return s.postgres;
}

const control: WriterControl = {
  async open(s: WriterSettings, wiring: WriterWiring = {}): Promise<WriterOpenInfo> {
    if (engine) throw new StateError('writer is already open');
    const pg = pgOf(s);
    // busyTimeoutMs is SQLite's wait for another program's lock; on the server the same wait is lock_timeout.
    const connect = () =>
      connectPgOrFail(pg, {
        purpose: 'writer',
        lockTimeoutMs: s.busyTimeoutMs,
        onError: (err) => engine?.connectionLost(err),
      });
    const client = await connect();
    let migrationsApplied: number[];
    let serverVersion: string;
    let repaired: RepairedCursor[];
    try {
      migrationsApplied = await migratePostgres(client, pg.schema);
      repaired = await repairPgCursors(client, latestAcceptedTime(s.maxClockSkewMs));
      serverVersion = await pgServerVersion(client);
      const { rows } = await client.query<{ sc: string; lt: string }>(
        `SELECT current_setting('synchronous_commit') AS sc, current_setting('lock_timeout') AS lt`,
      );
      serverSettings = { synchronousCommit: rows[0]?.sc ?? 'on', lockTimeoutMs: s.busyTimeoutMs };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    settings = s;
    outcomes = wiring.outcomes;
    const outcomePort = outcomes;
    engine = new PgGroupCommitWriter(
      connect,
      {
        groupCommitMaxRows: s.groupCommitMaxRows,
        lockRetries: s.lockRetries,
        leaseHolder: pg.leaseHolder,
        writePath: pg.writePath,
        maxClockSkewMs: s.maxClockSkewMs,
      },
      log,
      {
        ...(wiring.gate ? { gate: BreakerStateView.fromShared(wiring.gate) } : {}),
        ...(outcomePort ? { onOutcome: (o) => outcomePort.postMessage(o) } : {}),
      },
    );
    engine.adopt(client);
    logRepairedCursors(log, repaired);
    log.info({ server: pg.display, schema: pg.schema, serverVersion, migrationsApplied }, 'writer open');
    return {
      engine: 'postgres',
      journalMode: 'server',
      userVersion: PG_SCHEMA_VERSION,
      schemaFlavor: 'postgres-numeric',
      sqliteVersion: serverVersion,
      serverVersion,
      migrationsApplied,
      cursorsRepaired: repaired.length,
      osThreadId: osThreadId(),
    };
  },

  attach(port: MessagePort): void {
    ports.attach(port, requireOpen().engine);
  },

  getMetrics(): WriterMetrics {
    const { engine: e } = requireOpen();
    const c = e.counters;
    return {
      journalMode: 'server',
      synchronous: serverSettings.synchronousCommit,
      busyTimeoutMs: serverSettings.lockTimeoutMs,
      cacheSize: 0,
      mmapSize: 0,
      walAutocheckpoint: 0,
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
      busyWaits: 0,
      busyRetries: c.retries,
      lockErrors: c.lockErrors,
      lockWaitMs: 0,
      backlogBatches: e.backlog,
      commitMs: e.commitLatency.summary(),
      avgBatchesPerTransaction: c.transactions ? c.batchesInTransactions / c.transactions : 0,
      connectedPorts: ports.size,
      walPages: 0,
      checkpoints: 0,
    };
  },

  checkpoint() {
    // The server checkpoints by itself; nothing for a client to do.
    return { busy: 0, log: 0, checkpointed: 0 };
  },

  setPageLimit(): number {
    throw new StateError('a page limit is an SQLite setting; PostgreSQL has none');
  },

  async drain(): Promise<void> {
    await settle(requireOpen().engine, Number.POSITIVE_INFINITY);
  },

  async close(): Promise<void> {
    if (!engine) return;
    await settle(engine, CLOSE_SETTLE_MS);
    await engine.close();
    ports.closeAll();
    outcomes?.close();
    outcomes = undefined;
    engine = undefined;
    log.info('writer closed');
  },
};

Comlink.expose(control, nodeEndpoint(parentPort));
