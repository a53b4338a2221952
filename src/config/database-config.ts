// DatabaseConfig: what users set (names from the Python collector's), its defaults, and validation that says
// which field was wrong and why.

import { ConfigError } from '../errors.ts';
import { DEFAULT_MAX_IN_FLIGHT } from '../protocol/messages.ts';
import type { SqliteTuning, WriterSettings } from '../protocol/writer-settings.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../trades/trade-validation.ts';
import { databasePathFromUrl, normalizeDatabaseUrl } from './database-url.ts';
import { isPostgresUrl, localBasePath, parsePostgresUrl } from './postgres-url.ts';
import { stateDirectory } from './state-directory.ts';

export interface DatabaseConfig extends SqliteTuning {
  /**
   * What `--db` takes: a file path (`gecko_data.db`, relative to the working directory), `sqlite:///relative.db`
   * or `sqlite:////absolute/path.db`; or a PostgreSQL server,
   * `postgresql://user[:password]@host[:port]/database[?schema=name]` (also `postgres://`). Resolved, it is the
   * canonical form: `sqlite:////absolute/path.db`, or the PostgreSQL URL as given.
   */
  url: string;
  /** Log every SQL statement (writer and readers) at pino debug level. */
  echo: boolean;
  /**
   * SQLite has one writer, always: the writer thread. `poolSize` is the number of read-only connections the
   * manager keeps open for reads (collection reads, metrics probes); WAL lets them run beside the writer.
   */
  poolSize: number;
  /** Extra read-only connections opened on demand when all `poolSize` readers are busy, closed after use. */
  maxOverflow: number;
  /**
   * Once the WAL grows past walAutocheckpointPages pages, checkpoints run on their own thread this often, off the
   * writer's commit path; until then (and always with 0) the writer does them when idle.
   */
  checkpointIntervalMs: number;
  /** 'default' = configuration rollback: SQLite's stock settings (rollback journal, no tuning). */
  pragmas: 'optimized' | 'default';
  /**
   * Unacked batches one sender may have outstanding; more callers wait (backpressure). Under saturation the
   * writer's group commits hold about half of all senders' credits, and a COMMIT costs less per row the more rows
   * it carries, so the bound sets the group size (docs/benchmarks.md has the figures).
   */
  maxInFlight: number;
  groupCommitMaxRows: number;
  sortGroupById: boolean;
  lockRetries: number;
  /** PostgreSQL: the server cancels any statement running longer (statement_timeout, ms; 0 = never). */
  statementTimeoutMs: number;
  /** PostgreSQL: how long opening a connection may take (ms). */
  connectTimeoutMs: number;
  /**
   * How far a trade's block time may be ahead of this machine's clock (ms). A later one is rejected by the writer
   * with its reason: stored, it would carry its pool's cursor into the future and hide every later trade.
   */
  maxClockSkewMs: number;
}

export const DEFAULT_DATABASE_CONFIG: Readonly<DatabaseConfig> = Object.freeze({
  url: 'sqlite:///gecko_data.db',
  echo: false,
  poolSize: 2,
  maxOverflow: 2,
  synchronous: 'NORMAL',
  busyTimeoutMs: 5000,
  cacheSizeKb: 16 * 1024,
  mmapSizeBytes: 256 * 1024 * 1024,
  walAutocheckpointPages: 1000,
  journalSizeLimitBytes: 64 * 1024 * 1024,
  checkpointIntervalMs: 1000,
  pragmas: 'optimized',
  maxInFlight: DEFAULT_MAX_IN_FLIGHT,
  groupCommitMaxRows: 5000,
  sortGroupById: false,
  lockRetries: 3,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 5000,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
});

function intField(cfg: Record<string, unknown>, field: keyof DatabaseConfig, min: number, max: number): number {
  const v = cfg[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(field, v, `expected an integer from ${min} to ${max}`);
  }
  return v;
}

function boolField(cfg: Record<string, unknown>, field: keyof DatabaseConfig): boolean {
  const v = cfg[field];
  if (typeof v !== 'boolean') throw new ConfigError(field, v, 'expected true or false');
  return v;
}

function oneOf<T extends string>(cfg: Record<string, unknown>, field: keyof DatabaseConfig, allowed: readonly T[]): T {
  const v = cfg[field];
  if (typeof v === 'string') {
    const upperOrSame = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (upperOrSame) return upperOrSame;
  }
  throw new ConfigError(field, v, `expected one of ${allowed.join(', ')}`);
}

/** Merges `input` over the defaults and validates every field; unknown fields are errors too (typos). */
export function resolveDatabaseConfig(input: Partial<DatabaseConfig> = {}): DatabaseConfig {
  const known = new Set(Object.keys(DEFAULT_DATABASE_CONFIG));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      throw new ConfigError(key, (input as Record<string, unknown>)[key], 'unknown DatabaseConfig field');
  }
  const merged: Record<string, unknown> = { ...DEFAULT_DATABASE_CONFIG };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) merged[k] = v;
  return {
    url: normalizeDatabaseUrl(merged.url),
    echo: boolField(merged, 'echo'),
    poolSize: intField(merged, 'poolSize', 0, 64),
    maxOverflow: intField(merged, 'maxOverflow', 0, 64),
    synchronous: oneOf(merged, 'synchronous', ['NORMAL', 'FULL'] as const),
    busyTimeoutMs: intField(merged, 'busyTimeoutMs', 0, 10 * 60_000),
    cacheSizeKb: intField(merged, 'cacheSizeKb', 0, 64 * 1024 * 1024),
    mmapSizeBytes: intField(merged, 'mmapSizeBytes', 0, 2 ** 40),
    walAutocheckpointPages: intField(merged, 'walAutocheckpointPages', 0, 10_000_000),
    journalSizeLimitBytes: intField(merged, 'journalSizeLimitBytes', -1, 2 ** 40),
    checkpointIntervalMs: intField(merged, 'checkpointIntervalMs', 0, 3_600_000),
    pragmas: oneOf(merged, 'pragmas', ['optimized', 'default'] as const),
    maxInFlight: intField(merged, 'maxInFlight', 1, 1024),
    groupCommitMaxRows: intField(merged, 'groupCommitMaxRows', 1, 1_000_000),
    sortGroupById: boolField(merged, 'sortGroupById'),
    lockRetries: intField(merged, 'lockRetries', 0, 100),
    statementTimeoutMs: intField(merged, 'statementTimeoutMs', 0, 24 * 3_600_000),
    connectTimeoutMs: intField(merged, 'connectTimeoutMs', 1, 10 * 60_000),
    maxClockSkewMs: intField(merged, 'maxClockSkewMs', 0, 7 * 86_400_000),
  };
}

export function writerSettingsFrom(config: DatabaseConfig): WriterSettings {
  const pg = isPostgresUrl(config.url) ? parsePostgresUrl(config.url) : undefined;
  return {
    path: pg ? localBasePath(pg, stateDirectory()) : databasePathFromUrl(config.url),
    ...(pg
      ? {
          postgres: {
            connectionString: pg.connectionString,
            display: pg.display,
            database: pg.database,
            schema: pg.schema,
            statementTimeoutMs: config.statementTimeoutMs,
            connectTimeoutMs: config.connectTimeoutMs,
          },
        }
      : {}),
    pragmas: config.pragmas,
    synchronous: config.synchronous,
    busyTimeoutMs: config.busyTimeoutMs,
    cacheSizeKb: config.cacheSizeKb,
    mmapSizeBytes: config.mmapSizeBytes,
    walAutocheckpointPages: config.walAutocheckpointPages,
    journalSizeLimitBytes: config.journalSizeLimitBytes,
    checkpointIntervalMs: config.pragmas === 'optimized' && !pg ? config.checkpointIntervalMs : 0,
    echo: config.echo,
    groupCommitMaxRows: config.groupCommitMaxRows,
    sortGroupById: config.sortGroupById,
    lockRetries: config.lockRetries,
    maxClockSkewMs: config.maxClockSkewMs,
  };
}
