// The SQLite settings the writer thread applies to its connection: a plain, cloneable object
// derived from DatabaseConfig so it can cross the thread boundary.

export type SynchronousMode = 'NORMAL' | 'FULL';

/** The SQLite tuning a user sets in DatabaseConfig and every write connection applies. */
export interface SqliteTuning {
  /** NORMAL (default): a committed batch survives a process crash. FULL: also survives power loss. */
  synchronous: SynchronousMode;
  /** How long a connection waits for another program's lock before SQLITE_BUSY. */
  busyTimeoutMs: number;
  /** Page cache per connection, KiB. */
  cacheSizeKb: number;
  mmapSizeBytes: number;
  walAutocheckpointPages: number;
  journalSizeLimitBytes: number;
}

/** What a PostgreSQL writer (and the main thread's readers) connect with; absent for SQLite. */
export interface PostgresSettings {
  /** libpq-style URL without our own parameters (`schema`); may carry a password: never log it, log `display`. */
  connectionString: string;
  /** The URL with any password masked, for logs, errors and reports. */
  display: string;
  database: string;
  /** Tables live in this schema (created when missing); null = the server's search_path. */
  schema: string | null;
  /** Server-side statement_timeout of every statement (ms; 0 = none). */
  statementTimeoutMs: number;
  /** How long a connection may take to open (ms). */
  connectTimeoutMs: number;
  /** This process's lease holder id when pools are shared through leases: cursor moves are fenced by it. */
  leaseHolder?: string;
}

export interface WriterSettings extends SqliteTuning {
  /**
   * SQLite: the database file. PostgreSQL: a local base path named after the database (no file there) in the
   * state directory (config/state-directory.ts), beside which the spool and the metrics file sit.
   */
  path: string;
  /** Set when the database is PostgreSQL; every SQLite-only field below is then ignored. */
  postgres?: PostgresSettings;
  /** 'optimized' applies WAL and the tuning above; 'default' is the configuration rollback (SQLite's defaults, WAL kept off). */
  pragmas: 'optimized' | 'default';
  /** Log every SQL statement at debug level. */
  echo: boolean;
  /** Upper bound on rows in one group commit; batches beyond it wait for the next transaction. */
  groupCommitMaxRows: number;
  /** Insert each group commit in trade-id order (fewer B-tree page splits). */
  sortGroupById: boolean;
  /**
   * Backpressure drills only: after each commit the writer idles (factor − 1) × the commit's duration, so it
   * runs `factor` times slower. 1 (default) = full speed.
   */
  slowdownFactor?: number;
  /**
   * How often the checkpointer thread copies WAL pages into the database (ms), once the WAL grew past
   * walAutocheckpointPages pages (until then, and always with 0, the writer checkpoints itself when idle and every
   * few seconds under load).
   */
  checkpointIntervalMs: number;
  /** Retries of BEGIN IMMEDIATE after SQLITE_BUSY outlived busy_timeout, before the batch is nacked. */
  lockRetries: number;
  /** A trade whose block time is further than this ahead of the writer's clock (ms) is rejected (DatabaseConfig). */
  maxClockSkewMs: number;
}
