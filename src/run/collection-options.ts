// What a caller can ask of a collection run, the defaults (with --simulate's own), and the checks that turn
// the options into the settings the run goes by, so a bad value fails before anything is opened.

import { checkNice, DEFAULT_COLLECTOR_NICE } from '../common/thread-priority.ts';
import type { BatchConfig, BatchPresetName } from '../config/batch-config.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { normalizePoolAddresses } from '../config/pool-addresses.ts';
import { ConfigError } from '../errors.ts';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '../gecko/gecko-client.ts';
import type { Logger } from '../logging/logger.ts';
import type { ResponseLimits } from '../protocol/collector-task.ts';
import {
  SCHEDULE_MODES,
  SCHEDULE_PRIORITIES,
  type ScheduleMode,
  type SchedulePriority,
  type ScheduleSettings,
} from '../protocol/pool-schedule.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { GeckoSimulatorOptions } from '../sim/gecko-simulator.ts';
import { metricsFilePath } from './metrics-file.ts';
import type { PoolSetOptions } from './pool-set-options.ts';
import type { RetentionOptions } from './retention-options.ts';
import type { CollectionProgress } from './run-progress.ts';

export const COLLECTION_DEFAULTS = Object.freeze({
  network: 'solana',
  dbUrl: 'sqlite:///gecko_data.db',
  /** One collector thread per this many calls a minute of the budget (at least 1, at most maxDefaultCollectors). */
  callsPerMinutePerCollector: 120,
  /** The most collector threads the default gives; --collectors may ask for more. */
  maxDefaultCollectors: 8,
  manager: 'funnel' as const,
  preset: 'production' as const,
  pollIntervalMs: 60_000,
  schedule: 'adaptive' as const,
  /** Adaptive: a quiet pool at least this often. */
  maxPollIntervalMs: 300_000,
  /** The keyless API serves each answer from a cache this long; the paid API serves trades uncached. */
  keylessCacheMs: 60_000,
  priority: 'trades' as const,
  /**
   * The pools' trade counters are read this often: within their shortest window (m5) less the keyless cache, so
   * every moment lies in a window of some read.
   */
  counterSampleMs: 240_000,
  callsPerMinute: 30,
  /** With an API key (the paid API): its plans allow 500 calls/min and more; raise it to yours. */
  callsPerMinuteWithKey: 500,
  minSpacingMs: 1000,
  /** --simulate: a local server takes far more than the public API, so runs of ~20 s collect a lot. */
  simulate: Object.freeze({
    pollIntervalMs: 2000,
    maxPollIntervalMs: 10_000,
    callsPerMinute: 600,
    minSpacingMs: 0,
    tradesPerSecond: 4,
    historySeconds: 3600,
    seed: 1,
  }),
  progressIntervalMs: 1000,
  stopGraceMs: 10_000,
  metricsHost: '127.0.0.1',
  metricsFileIntervalMs: 5000,
  leaseTtlMs: 30_000,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
});

export interface CollectionOptions extends PoolSetOptions {
  /** Prune old days on a schedule while the run goes on (see `gecko-collector prune`). Default: never. */
  retention?: RetentionOptions;
  network?: string;
  /** Pool addresses. With none (and no `top`), `simulate` uses the simulator's pools. */
  pools?: readonly string[];
  /** Fetch the network's top N pools first (pages of 20, at most 10 pages). */
  top?: number;
  /** Take the pools from the database's `watchlist` table (the Python collector's): active rows of `network`. */
  watchlist?: boolean;
  /** Database URL; `database` may set further DatabaseConfig fields. */
  dbUrl?: string;
  database?: Partial<Omit<DatabaseConfig, 'url'>>;
  /** Where the deferred queue keeps its spool (funnel only); see LockOptimizedManagerOptions.deferred. */
  spoolPath?: string;
  /**
   * PostgreSQL: pools are shared with every other process collecting the same pool list into the same database,
   * through leases of this length (ms): a process that dies has its pools taken over within about this long.
   * Default 30 s; heartbeats every quarter of it.
   */
  leaseTtlMs?: number;
  /** Collector threads; default defaultCollectors(callsPerMinute): one per ~120 calls/min, at least 1. */
  collectors?: number;
  manager?: 'funnel' | 'direct';
  batch?: BatchPresetName | Partial<BatchConfig>;
  /**
   * false: the rollback switch that keeps the SQLite settings and the writer but drops the batch processor:
   * each poll's new trades are stored in one write, the cursor after its ack. Default true.
   */
  batching?: boolean;
  /** Serve Prometheus text at http://metricsHost:metricsPort/metrics while the run lasts (funnel only; 0 = a free port). */
  metricsPort?: number;
  /** Default 127.0.0.1 (also for the health server). */
  metricsHost?: string;
  /**
   * Serve GET /healthz on this port (0 = a free port): 200 while polling and writing, 503 while the breaker
   * keeps writes out or no poll succeeded for `healthStaleIntervals` poll intervals. The metrics server
   * answers /healthz too.
   */
  healthPort?: number;
  /** Default 3. */
  healthStaleIntervals?: number;
  /** Where the latest metrics snapshot is kept as JSON (for `doctor`); false: nowhere. Default `<db>.metrics.json`. */
  metricsFile?: string | false;
  /** How often that file is refreshed while the run lasts. Default 5000 ms. */
  metricsFileIntervalMs?: number;
  /**
   * adaptive (the default): each pool is polled by its own trade rate, before its 300-trade window can overflow,
   * within the budget (callsPerMinute); fixed: every pool every pollIntervalMs. Default: fixed when only
   * pollIntervalMs is given, else adaptive.
   */
  schedule?: ScheduleMode;
  /** fixed: ms between two polls of one pool. */
  pollIntervalMs?: number;
  /** adaptive: a quiet pool is polled at least this often. Default 300 s (10 s with simulate). */
  maxPollIntervalMs?: number;
  /**
   * No pool is polled sooner than this after its previous answer: the API's answer cache. Default 60 s keyless,
   * 0 with apiKey (the paid API serves trades uncached), with simulate the simulator's cacheSeconds.
   */
  minPollIntervalMs?: number;
  /** adaptive, when the budget cannot cover every pool: trades (where a call saves the most) or pools (alike). */
  priority?: SchedulePriority;
  callsPerMinute?: number;
  minSpacingMs?: number;
  /** Default: the public API, or with `apiKey` the paid one. */
  baseUrl?: string;
  /**
   * A CoinGecko API key: the paid API (GECKO_PRO_API_BASE_URL, key in the `x-cg-pro-api-key` header) and
   * callsPerMinute defaulting to 500. Never logged, never written to a file.
   */
  apiKey?: string;
  minVolumeUsd?: string;
  /**
   * With an API key: fill the gaps the run records from the paid range endpoint, from spare budget only (live
   * polls come first; run/spare-gap-fill.ts). Default true.
   */
  fillGaps?: boolean;
  /**
   * Ms between two reads of the pools' `transactions` counters (pools/multi, one call per 30 pools, from the run's
   * budget), for the coverage's missed trades (run/counter-coverage.ts). 0: none. Default 240 s. Not with
   * minVolumeUsd (the counters count every trade).
   */
  counterSampleMs?: number;
  /** A response body longer than this is cut off while streaming (an error of that pool's poll). Default 4 MiB. */
  maxResponseBytes?: number;
  /** One API request, headers and whole body, must end within this. Default 15 s. */
  requestTimeoutMs?: number;
  /** A longer Retry-After is cut to this, for the throttled pool only (logged). Default 60 s. */
  maxRetryAfterMs?: number;
  /** Start an in-process GeckoTerminal simulator and collect from it (defaults tuned for short runs). */
  simulate?: boolean | GeckoSimulatorOptions;
  /** Fetch and store the pools' metadata (pools/dexes tables) before collecting. Default true. */
  poolMetadata?: boolean;
  /** Stop by itself after this long. Default: until `signal` aborts or `stop()` is called. */
  durationMs?: number;
  /** Aborting it stops the collection cleanly (same as `stop()`). */
  signal?: AbortSignal;
  onProgress?: (progress: CollectionProgress) => void;
  progressIntervalMs?: number;
  /** After a stop, requests already sent get this long to complete. */
  stopGraceMs?: number;
  /**
   * Nice value of the collector threads (0–19; Linux only, per thread): they yield the CPU to the writer
   * thread, which they all wait on. 0 = the process's own priority. Default 10.
   */
  collectorNice?: number;
  /**
   * Where the run logs (a pino logger): the main thread's records and, at this logger's level, the writer's and
   * collector threads'. Without one the library is silent.
   */
  logger?: Logger;
}

/** The options checked and filled in with defaults. */
export interface RunSettings {
  manager: 'funnel' | 'direct';
  collectorsWanted: number;
  pollIntervalMs: number;
  schedule: ScheduleSettings;
  callsPerMinute: number;
  minSpacingMs: number;
  dbConfig: Partial<DatabaseConfig>;
  writer: WriterSettings;
  /** Unacked batches each collector may have outstanding (DatabaseConfig.maxInFlight). */
  maxInFlight: number;
  batching: boolean;
  /** Undefined when `metricsFile: false`. */
  metricsPath: string | undefined;
  healthStaleIntervals: number;
  metricsFileIntervalMs: number;
  collectorNice: number;
  leaseTtlMs: number;
  /** What every API call of the run may take: body size, time, Retry-After. */
  responseLimits: ResponseLimits;
  /** Ms between two reads of the pools' trade counters; 0: none. */
  counterSampleMs: number;
}

/**
 * The default number of collector threads: one per ~120 calls/min of the budget, at least 1. A thread waits on
 * the network, not the CPU: at the public 30 calls/min one thread is plenty, and each extra one costs memory.
 */
export function defaultCollectors(callsPerMinute: number): number {
  const { callsPerMinutePerCollector, maxDefaultCollectors } = COLLECTION_DEFAULTS;
  return Math.min(maxDefaultCollectors, Math.max(1, Math.round(callsPerMinute / callsPerMinutePerCollector)));
}

export function positiveInt(field: string, v: number | undefined, fallback: number, min = 1): number {
  const n = v ?? fallback;
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(field, v, `expected an integer >= ${min}`);
  return n;
}

/** Throws ConfigError for the first bad option. */
export function resolveRunSettings(options: CollectionOptions): RunSettings {
  const manager = options.manager ?? COLLECTION_DEFAULTS.manager;
  if (manager !== 'funnel' && manager !== 'direct')
    throw new ConfigError('manager', manager, 'expected funnel or direct');
  const sim = options.simulate ? COLLECTION_DEFAULTS.simulate : undefined;
  // Before anything opens the database: a bad address (`..`, an id too long to store) creates no file.
  if (options.pools) normalizePoolAddresses(options.pools, 'pools', options.network ?? COLLECTION_DEFAULTS.network);
  const pollIntervalMs = positiveInt(
    'pollIntervalMs',
    options.pollIntervalMs,
    sim?.pollIntervalMs ?? COLLECTION_DEFAULTS.pollIntervalMs,
    0,
  );
  const callsPerMinute =
    options.callsPerMinute ??
    sim?.callsPerMinute ??
    (options.apiKey ? COLLECTION_DEFAULTS.callsPerMinuteWithKey : COLLECTION_DEFAULTS.callsPerMinute);
  const collectorsWanted = positiveInt('collectors', options.collectors, defaultCollectors(callsPerMinute));
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || !/^[\x21-\x7e]{8,}$/.test(options.apiKey)))
    // The value is a secret: the error names the field only. Eight at least, as for --api-key (the masking).
    throw new ConfigError('apiKey', '(hidden)', 'expected 8 or more printable characters without spaces');
  const schedule = resolveSchedule(options, pollIntervalMs, callsPerMinute);
  const intervalMs = Math.ceil(60_000 / callsPerMinute);
  const minSpacingMs =
    options.minSpacingMs ?? Math.min(intervalMs, sim?.minSpacingMs ?? COLLECTION_DEFAULTS.minSpacingMs);
  const dbConfig: Partial<DatabaseConfig> = { ...options.database, url: options.dbUrl ?? COLLECTION_DEFAULTS.dbUrl };
  const resolvedDb = resolveDatabaseConfig(dbConfig);
  const writer = writerSettingsFrom(resolvedDb);
  if (writer.postgres && manager === 'direct')
    throw new ConfigError(
      'manager',
      manager,
      'the direct manager is the SQLite rollback path; PostgreSQL needs the funnel',
    );
  const batching = options.batching ?? true;
  if (typeof batching !== 'boolean') throw new ConfigError('batching', options.batching, 'expected true or false');
  if (options.metricsPort !== undefined && manager !== 'funnel') {
    throw new ConfigError(
      'metricsPort',
      options.metricsPort,
      'the metrics server needs the funnel manager (direct mode has no breaker, deferred queue or writer to report)',
    );
  }
  const metricsPath = options.metricsFile === false ? undefined : (options.metricsFile ?? metricsFilePath(writer.path));
  const metricsFileIntervalMs = positiveInt(
    'metricsFileIntervalMs',
    options.metricsFileIntervalMs,
    COLLECTION_DEFAULTS.metricsFileIntervalMs,
    10,
  );
  const collectorNice = checkNice('collectorNice', options.collectorNice ?? DEFAULT_COLLECTOR_NICE);
  const healthStaleIntervals = positiveInt('healthStaleIntervals', options.healthStaleIntervals, 3);
  return {
    manager,
    collectorsWanted,
    pollIntervalMs,
    schedule,
    callsPerMinute,
    minSpacingMs,
    dbConfig,
    writer,
    maxInFlight: resolvedDb.maxInFlight,
    batching,
    metricsPath,
    healthStaleIntervals,
    metricsFileIntervalMs,
    collectorNice,
    leaseTtlMs: positiveInt('leaseTtlMs', options.leaseTtlMs, COLLECTION_DEFAULTS.leaseTtlMs, 200),
    responseLimits: {
      maxResponseBytes: positiveInt(
        'maxResponseBytes',
        options.maxResponseBytes,
        COLLECTION_DEFAULTS.maxResponseBytes,
        1024,
      ),
      timeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs, COLLECTION_DEFAULTS.requestTimeoutMs, 1),
      maxRetryAfterMs: positiveInt('maxRetryAfterMs', options.maxRetryAfterMs, COLLECTION_DEFAULTS.maxRetryAfterMs, 0),
    },
    counterSampleMs: positiveInt('counterSampleMs', options.counterSampleMs, COLLECTION_DEFAULTS.counterSampleMs, 0),
  };
}

function resolveSchedule(options: CollectionOptions, pollIntervalMs: number, callsPerMinute: number): ScheduleSettings {
  const mode = options.schedule ?? (options.pollIntervalMs !== undefined ? 'fixed' : COLLECTION_DEFAULTS.schedule);
  if (!SCHEDULE_MODES.includes(mode))
    throw new ConfigError('schedule', mode, `expected ${SCHEDULE_MODES.join(' or ')}`);
  const priority = options.priority ?? COLLECTION_DEFAULTS.priority;
  if (!SCHEDULE_PRIORITIES.includes(priority))
    throw new ConfigError('priority', priority, `expected ${SCHEDULE_PRIORITIES.join(' or ')}`);
  const sim = options.simulate ? COLLECTION_DEFAULTS.simulate : undefined;
  const simCacheS = typeof options.simulate === 'object' ? options.simulate.cacheSeconds : undefined;
  const cacheMs = sim ? (simCacheS ?? 0) * 1000 : options.apiKey ? 0 : COLLECTION_DEFAULTS.keylessCacheMs;
  const minPollIntervalMs = positiveInt('minPollIntervalMs', options.minPollIntervalMs, Math.round(cacheMs), 0);
  const maxPollIntervalMs = positiveInt(
    'maxPollIntervalMs',
    options.maxPollIntervalMs,
    Math.max(minPollIntervalMs, sim?.maxPollIntervalMs ?? COLLECTION_DEFAULTS.maxPollIntervalMs),
    1,
  );
  if (maxPollIntervalMs < minPollIntervalMs)
    throw new ConfigError(
      'maxPollIntervalMs',
      maxPollIntervalMs,
      `must not be below the API's cache time (minPollIntervalMs ${minPollIntervalMs})`,
    );
  return { mode, pollIntervalMs, minPollIntervalMs, maxPollIntervalMs, priority, callsPerMinute };
}
