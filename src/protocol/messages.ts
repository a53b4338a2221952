// Every message that crosses a thread boundary, in one typed module: the data plane between collectors and
// the writer (batches in, acks out, one MessagePort per collector) and the writer's comlink control surface.

import type { MessagePort } from 'node:worker_threads';
import type { BatchSizeCounts } from './batch-sizes.ts';
import type { BatchOriginFigures, FlushReason } from './flush-reason.ts';
import type {
  CandleRecord,
  CursorUpdate,
  DexRecord,
  GapFillRecord,
  GapRecord,
  PoolRecord,
  ReconcileRecord,
  TradeRecord,
} from './records.ts';
import type { ThreadLogLink } from './thread-log-link.ts';
import type { WriterSettings } from './writer-settings.ts';

/** A unit of work for the writer. Everything in one message commits in the same transaction. */
export interface WriteBatchMessage {
  kind: 'write';
  /** Unique per port; the ack carries it back. */
  batchId: number;
  trades?: TradeRecord[];
  pools?: PoolRecord[];
  dexes?: DexRecord[];
  cursors?: CursorUpdate[];
  gaps?: GapRecord[];
  /** Backfill and reconcile: gaps filled (after their trades), candles kept, reconcile results. */
  gapFills?: GapFillRecord[];
  candles?: CandleRecord[];
  reconciles?: ReconcileRecord[];
  /** Why the sender's batch processor cut these trades into a batch; absent when it does not batch. */
  flushReason?: FlushReason;
}

/** A batch's content without its envelope: what a sender writes and what the spool keeps. */
export type WritePayload = Omit<WriteBatchMessage, 'kind' | 'batchId'>;

export interface RejectedRow {
  /** The row's id when it had a usable one, else `#<index>` in the batch. */
  id: string;
  reason: string;
}

/** Sent only after the transaction holding the batch has committed. */
/** A trade id already stored with other contents: the first version was kept. Fields as text (null: absent). */
export interface TradeConflict {
  id: string;
  poolId: string;
  /** The fields that differ (TradeRecord names). */
  differs: string[];
  kept: Record<string, string | null>;
  received: Record<string, string | null>;
}

export interface AckMessage {
  kind: 'ack';
  batchId: number;
  inserted: number;
  duplicates: number;
  /** Of the duplicates, ids stored with other contents (the first version kept). */
  conflicts?: number;
  rejected: RejectedRow[];
  /** Wall time of the transaction (BEGIN IMMEDIATE → COMMIT) the batch was part of. */
  commitMs: number;
  /**
   * Set by the client, never by the writer: the batch could not be written now and was committed to the
   * durable deferred queue instead (replayed later). Counts are then 0; the trades are safe either way.
   */
  deferred?: boolean;
}

export interface SerializedWriteError {
  code: string;
  sqliteCode?: string;
  /** PostgreSQL's SQLSTATE, when the server gave one. */
  pgCode?: string;
  message: string;
}

/** The batch was not written (its transaction rolled back); the sender still owns it. */
export interface NackMessage {
  kind: 'nack';
  batchId: number;
  error: SerializedWriteError;
}

export type CollectorToWriter = WriteBatchMessage;
export type WriterToCollector = AckMessage | NackMessage;

/** A sender asks the main thread to keep a batch in the durable deferred queue. */
export interface DeferRequest {
  kind: 'defer';
  batchId: number;
  payload: WritePayload;
}

/** Main thread → sender, on the link's manager port. */
export type ManagerToCollector =
  | { kind: 'deferred'; batchId: number; seq: number }
  /** `final`: storage failed for good (StorageWatch): the sender gives the batch up instead of retrying. */
  | { kind: 'defer-failed'; batchId: number; error: SerializedWriteError; final?: boolean }
  /** The writer was restarted: use this new data port from now on. */
  | { kind: 'reconnect'; port: MessagePort };

export type CollectorToManager = DeferRequest;

/** Unacked batches a sender may have outstanding by default (DatabaseConfig.maxInFlight). */
export const DEFAULT_MAX_IN_FLIGHT = 8;

/** What a thread needs to reach the writer: its data port, plus (when the manager supervises the writer) a
 * port on which the manager takes deferrals and hands over a fresh data port after a writer restart. */
export interface WriterLink {
  /** Data port to the writer thread. */
  port: MessagePort;
  /** Port to the main thread: deferrals to the durable queue, and a fresh data port after a writer restart. */
  manager?: MessagePort;
  /** The circuit breaker's shared state cell. */
  gate?: SharedArrayBuffer;
}

/** Writer → main thread after every transaction attempt: what the circuit breaker counts. */
export interface TransactionOutcome {
  kind: 'outcome';
  ok: boolean;
  batches: number;
  rows: number;
  commitMs: number;
  error?: SerializedWriteError;
}

/** Wiring the main thread hands the writer at open: the breaker gate and where to report outcomes. */
export interface WriterWiring {
  /** The circuit breaker's shared state cell; the writer does not commit while it says OPEN/ISOLATED. */
  gate?: SharedArrayBuffer;
  outcomes?: MessagePort;
}

export interface WriterOpenInfo {
  /** Which database the writer holds: an SQLite file, or a PostgreSQL server. */
  engine: 'sqlite' | 'postgres';
  /** SQLite's journal mode; 'server' on PostgreSQL (durability is the server's: synchronous_commit). */
  journalMode: string;
  /** SQLite: PRAGMA user_version; PostgreSQL: the newest migration in schema_migrations. */
  userVersion: number;
  /** SQLite: NUMERIC amounts with their exact text beside (*_exact); PostgreSQL: exact numeric columns. */
  schemaFlavor: 'numeric-exact' | 'postgres-numeric';
  /** The SQLite library's version; on PostgreSQL the server's (`PostgreSQL 15.20`). */
  sqliteVersion: string;
  /** PostgreSQL only: the server's version. */
  serverVersion?: string;
  migrationsApplied: number[];
  /**
   * Cursors the writer found at open in the future (beyond the clock-skew allowance) or on a trade that is not
   * stored, and put back on the newest stored trade of their pool (each logged with both positions).
   */
  cursorsRepaired: number;
  /** The writer thread's OS thread id (Linux; null elsewhere): to find it in `top -H`, perf or /proc. */
  osThreadId: number | null;
}

/** One SQLite connection's settings as SQLite reports them (the pragmas doctor and the metrics show). */
export interface ConnectionDescription {
  journalMode: string;
  synchronous: string;
  busyTimeoutMs: number;
  cacheSize: number;
  mmapSize: number;
  walAutocheckpoint: number;
}

/** The SQLite writer's own figures. */
export interface SqliteWriterFigures {
  engine: 'sqlite';
  connection: ConnectionDescription;
  /** Transactions whose BEGIN IMMEDIATE had to wait for another program's lock. */
  busyWaits: number;
  lockWaitMs: number;
  /** Checkpoints the writer ran itself, and the WAL pages the last one left. */
  checkpoints: number;
  walPages: number;
}

/** The PostgreSQL writer's own figures. */
export interface PostgresWriterFigures {
  engine: 'postgres';
  /** The server's synchronous_commit and the connection's lock_timeout. */
  synchronousCommit: string;
  lockTimeoutMs: number;
  reconnects: number;
  /** Cursor moves refused because this process no longer held the pool's lease. */
  fencedCursors: number;
  /** Groups written by COPY, and groups written again with a savepoint per batch after the server refused a row. */
  copyGroups: number;
  carefulRetries: number;
}

export type WriterEngineFigures = SqliteWriterFigures | PostgresWriterFigures;

/** The writer's counters, the same for both engines, and its engine's own figures. */
export interface WriterMetrics {
  transactions: number;
  batchesCommitted: number;
  batchesFailed: number;
  /** Committed batches that carried trades, and their trade rows (cursor-only writes excluded). */
  tradeBatches: number;
  tradeRows: number;
  /** The same, split by why each batch was cut (see batch/flush-reason.ts). */
  tradeBatchesByReason: BatchOriginFigures;
  /** The same, by size: batches per bucket of BATCH_SIZE_BUCKETS (protocol/batch-sizes.ts). */
  tradeBatchSizes: BatchSizeCounts;
  rowsInserted: number;
  duplicates: number;
  /** Duplicates whose stored version had other contents (the first version kept). */
  conflicts: number;
  /** The same per pool id (bounded: the first pools seen). */
  conflictsByPool: Record<string, number>;
  rejected: number;
  /** Group attempts repeated after a transient failure (a lock another program held, a lost connection). */
  retries: number;
  /** Groups that failed for a lock after every retry. */
  lockErrors: number;
  /** Batches received and not yet acked or nacked. */
  backlogBatches: number;
  commitMs: LatencySummary;
  avgBatchesPerTransaction: number;
  connectedPorts: number;
  engine: WriterEngineFigures;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The writer's control surface, exposed with comlink on the worker's parentPort. */
export interface WriterControl {
  open(settings: WriterSettings, wiring?: WriterWiring): WriterOpenInfo | Promise<WriterOpenInfo>;
  /** Adopts one end of a MessageChannel as a data port (a collector's or the main thread's). */
  attach(port: MessagePort): void;
  getMetrics(): WriterMetrics;
  /** Resolves when every batch received so far (and any arriving meanwhile) is committed and acked. */
  drain(): Promise<void>;
  /** Drains, closes every data port and the database handle. */
  close(): Promise<void>;
}

/** The SQLite writer's control surface: the common one, the WAL's hand-over, and the size cap fault drills set. */
export interface SqliteWriterControl extends WriterControl {
  /** A checkpointer thread runs now: the writer stops checkpointing on its own thread. */
  handOverCheckpoints(): void;
  /** PRAGMA max_page_count on the writer's connection (a size cap; 0 lifts it). Returns the cap in force. */
  setPageLimit(pages: number): number;
}

/** workerData of the checkpointer thread (workers/checkpointer-thread.ts). */
export interface CheckpointerData {
  path: string;
  intervalMs: number;
  busyTimeoutMs: number;
  /** Where and at which level it logs (its port is in the transfer list). */
  log?: ThreadLogLink;
}

/** workerData of the writer thread (workers/*-writer-thread.ts). */
export interface WriterThreadData {
  log?: ThreadLogLink;
}

export type MainToCheckpointer = { kind: 'stop' };

export type CheckpointerToMain =
  | { kind: 'checkpointed'; checkpoints: number; walPages: number; ms: number }
  | { kind: 'stopped'; checkpoints: number; busy: number };
