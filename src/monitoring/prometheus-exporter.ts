// Prometheus exposition of the collector's metrics snapshot: a prom-client registry filled from a snapshot at
// scrape time. Cumulative figures are counters (`_total`), levels are gauges, commit durations and batch sizes
// histograms; a collection run adds its API figures, overall and per pool; `gecko_build_info` and prom-client's
// process and Node metrics come along. The HTTP side is monitoring-server.ts.

import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { packageVersion } from '../common/package-version.ts';
import { BreakerState } from '../protocol/breaker-gate.ts';
import { BATCH_ORIGINS } from '../protocol/flush-reason.ts';
import { bundledSqliteVersion } from '../storage/sqlite/sqlite-version.ts';
import { ALERT_NAMES } from './alert-evaluator.ts';
import type { HistogramFigures } from './duration-histogram.ts';
import type {
  CollectionFigures,
  CollectorMetricsSnapshot,
  PoolFigures,
  SchedulePlanFigures,
} from './metrics-snapshot.ts';

export interface MetricsRegistryOptions {
  /** Also export prom-client's default process and Node metrics (CPU, memory, event loop, GC...). Default true. */
  defaultMetrics?: boolean;
  /** The SQLite library's version for `gecko_build_info` (the writer's; default: asked of better-sqlite3). */
  sqliteVersion?: string;
}

export interface GeckoMetricsRegistry {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s output. */
  readonly contentType: string;
  /** Prometheus text for one snapshot. Concurrent calls are serialized so each renders its own snapshot. */
  render(snapshot: CollectorMetricsSnapshot): Promise<string>;
}

type Picker = (s: CollectorMetricsSnapshot) => number;
type CollectionPicker = (c: CollectionFigures) => number;
type PoolPicker = (p: PoolFigures) => number;

// Cumulative since the funnel started. The writer, breaker and deferred queue own the numbers; each scrape
// sets the counter to the snapshot's value.
const COUNTERS: ReadonlyArray<readonly [name: string, help: string, pick: Picker]> = [
  ['gecko_lock_errors_total', 'Write operations that hit SQLITE_BUSY or SQLITE_LOCKED.', (s) => s.lock.lockErrors],
  ['gecko_busy_retries_total', 'Retries caused by SQLITE_BUSY or SQLITE_LOCKED.', (s) => s.lock.busyRetries],
  [
    'gecko_busy_waits_total',
    'Transactions that waited inside busy_timeout for another connection.',
    (s) => s.lock.busyWaits,
  ],
  ['gecko_write_operations_total', 'Write transactions run.', (s) => s.lock.operations],
  ['gecko_rows_inserted_total', 'Trade rows inserted.', (s) => s.lock.rowsInserted],
  ['gecko_duplicates_total', 'Trade rows ignored because their id was already stored.', (s) => s.lock.duplicates],
  ['gecko_rows_rejected_total', 'Trade rows rejected by validation.', (s) => s.lock.rejected],
  ['gecko_breaker_opens_total', 'Times the circuit breaker opened.', (s) => s.breaker.opens],
  ['gecko_breaker_rejections_total', 'Calls the circuit breaker rejected while shut.', (s) => s.breaker.rejections],
  ['gecko_deferred_total', 'Batches deferred to the spool.', (s) => s.deferred.deferredTotal],
  ['gecko_replayed_total', 'Deferred batches replayed from the spool.', (s) => s.deferred.replayedTotal],
  ['gecko_writer_restarts_total', 'Times the writer thread was restarted.', (s) => s.writer.restarts],
  ['gecko_checkpoints_total', 'WAL checkpoints done by the checkpointer thread.', (s) => s.writer.checkpoints ?? 0],
];

const GAUGES: ReadonlyArray<readonly [name: string, help: string, pick: Picker]> = [
  [
    'gecko_query_latency_seconds',
    'Latency of a simple SELECT 1 at scrape time, in seconds.',
    (s) => s.lock.queryLatencyMs / 1000,
  ],
  ['gecko_writer_backlog_batches', 'Batches queued in the writer thread.', (s) => s.writer.backlog],
  ['gecko_deferred_batches', 'Batches waiting in the deferred queue.', (s) => s.deferred.batches],
  ['gecko_deferred_rows', 'Rows waiting in the deferred queue.', (s) => s.deferred.rows],
  [
    'gecko_deferred_oldest_age_seconds',
    'Age of the oldest deferred batch in seconds (0 when the queue is empty).',
    (s) => (s.deferred.oldestAgeMs === null ? 0 : s.deferred.oldestAgeMs / 1000),
  ],
];

const COLLECTION_COUNTERS: ReadonlyArray<readonly [name: string, help: string, pick: CollectionPicker]> = [
  ['gecko_api_requests_total', 'HTTP requests sent to the API (retries included).', (c) => c.requests],
  ['gecko_api_throttled_total', 'Throttle replies from the API (HTTP 429 or a 429 body).', (c) => c.throttled],
  ['gecko_polls_succeeded_total', 'Trade polls the API answered with data.', (c) => c.succeeded],
  ['gecko_polls_total', 'Trade polls sent (one whose request never left the rate limiter is not one).', (c) => c.polls],
  ['gecko_poll_errors_total', 'Polls that failed and trade writes that could not be stored.', (c) => c.pollErrors],
  [
    'gecko_malformed_responses_total',
    'API responses whose body was not what the API sends.',
    (c) => c.malformedResponses,
  ],
  ['gecko_trades_fetched_total', 'Trades in API responses, repeats included.', (c) => c.tradesFetched],
  [
    'gecko_trades_rejected_total',
    'Trades of API responses refused by the row checks (not stored; each counted once).',
    (c) => c.tradesRejected ?? 0,
  ],
  [
    'gecko_trade_repeats_total',
    'Trades dropped as seen before (earlier response, before the cursor).',
    (c) => c.repeats,
  ],
  [
    'gecko_gaps_total',
    'Polls whose full response did not reach back to the cursor (trades may be missing).',
    (c) => c.gaps,
  ],
];

// Labelled by pool id: the label set is bounded by the pools the run polls, fixed when it starts.
const POOL_COUNTERS: ReadonlyArray<readonly [name: string, help: string, pick: PoolPicker]> = [
  ['gecko_pool_polls_total', 'Trade polls of the pool sent.', (p) => p.polls],
  ['gecko_pool_requests_total', 'HTTP requests for the pool (retries included).', (p) => p.requests],
  ['gecko_pool_throttled_total', 'Throttle replies to requests for the pool.', (p) => p.throttled],
  ['gecko_pool_errors_total', 'Failed polls of the pool and failed writes of its trades.', (p) => p.errors],
  ['gecko_pool_trades_stored_total', 'New trades of the pool committed to the database.', (p) => p.stored],
  [
    'gecko_pool_trades_rejected_total',
    "Trades of the pool's responses refused by the row checks (not stored; each counted once).",
    (p) => p.rejected ?? 0,
  ],
  [
    'gecko_pool_trades_missed_estimated_total',
    "Trades the pool probably missed: from the API's own trade counters where they reach " +
      '(gecko_pool_missed_from_counters 1), else what its gaps probably held (estimated rate times span).',
    (p) => p.estimatedMissed ?? 0,
  ],
  [
    'gecko_pool_trades_missed_gaps_estimated_total',
    "Trades the pool's gaps probably held (the pool's estimated rate times each gap's span), whatever the basis.",
    (p) => p.estimatedMissedGaps ?? p.estimatedMissed ?? 0,
  ],
];

// The schedule, per pool: what it estimates and chooses now.
const POOL_GAUGES: ReadonlyArray<readonly [name: string, help: string, pick: (p: PoolFigures) => number | undefined]> =
  [
    [
      'gecko_pool_trade_rate',
      "The schedule's estimate of the pool's trades per second.",
      (p) => p.estimatedRate ?? undefined,
    ],
    [
      'gecko_pool_poll_interval_seconds',
      'The interval the schedule chose for the pool.',
      (p) => (p.intervalMs ? p.intervalMs / 1000 : undefined),
    ],
    [
      'gecko_pool_missed_from_counters',
      "1 when the pool's estimated missed trades come from the API's trade counters, 0 when from rate times span.",
      (p) => (p.missedBasis === undefined ? undefined : p.missedBasis === 'counters' ? 1 : 0),
    ],
  ];

const BREAKER_STATES = Object.values(BreakerState);

/** Cumulative bucket counts of a snapshot as a Prometheus histogram (prom-client's own is fed by observe()). */
class SnapshotHistogram {
  readonly aggregator = 'sum';
  readonly type = 'histogram';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly figures: () => HistogramFigures | undefined,
  ) {}

  get() {
    const f = this.figures();
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    if (f) {
      f.buckets.forEach((le, i) => {
        values.push({ labels: { le }, value: f.counts[i] ?? 0, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, value: f.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, value: f.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, value: f.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A counter whose value is taken from the snapshot at each scrape (it only ever grows there). */
function snapshotCounter(registry: Registry, name: string, help: string, pick: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = pick();
      if (v === undefined) return;
      this.reset();
      this.inc(v);
    },
  });
}

// The process's own metrics, collected once per process however many runs or servers it has: prom-client's
// collectors start observers (event loop delay, GC) that are never stopped.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** `gecko_build_info{version, node, sqlite} 1`: what runs, for dashboards and bug reports. */
function addBuildInfo(registry: Registry, sqliteVersion: string | undefined): void {
  const sqlite = sqliteVersion ?? bundledSqliteVersion();
  new Gauge({
    name: 'gecko_build_info',
    help: 'The running build: gecko-collector version, Node version and SQLite library version (always 1).',
    labelNames: ['version', 'node', 'sqlite'] as const,
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version, sqlite }, 1);
}

/** A registry holding the gecko_* metrics, the build info and (by default) the process and Node metrics. */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): GeckoMetricsRegistry {
  const registry = new Registry();
  // Set only for the duration of one render; collect() callbacks read it.
  let current: CollectorMetricsSnapshot | null = null;
  const now = () => current;

  for (const [name, help, pick] of COUNTERS)
    snapshotCounter(registry, name, help, () => (current ? pick(current) : undefined));
  for (const [name, help, pick] of GAUGES) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (current) this.set(pick(current));
      },
    });
  }
  registry.registerMetric(
    new SnapshotHistogram(
      'gecko_commit_duration_seconds',
      'Duration of committed write transactions (group commits), in seconds.',
      () => now()?.writer.commitSeconds,
    ) as unknown as Metric,
  );
  registry.registerMetric(
    new SnapshotHistogram(
      'gecko_batch_size_rows',
      'Trade rows per batch committed by the writer.',
      () => now()?.batch.sizes,
    ) as unknown as Metric,
  );
  new Gauge({
    name: 'gecko_breaker_state',
    help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!current) return;
      for (const state of BREAKER_STATES) this.set({ state }, current.breaker.state === state ? 1 : 0);
    },
  });
  for (const [name, help, field] of [
    [
      'gecko_batch_flushes_total',
      'Trade batches committed, by why the batch processor cut them (unspecified: the sender does not batch).',
      'batches',
    ],
    ['gecko_batch_flush_rows_total', 'Trade rows in those batches, by the same reason.', 'rows'],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        const byReason = current?.batch.byReason;
        if (!byReason) return;
        this.reset();
        for (const reason of BATCH_ORIGINS) this.inc({ reason }, byReason[reason][field]);
      },
    });
  }
  new Gauge({
    name: 'gecko_alert_active',
    help: 'Monitoring alerts: 1 while the alert is active, 0 otherwise.',
    labelNames: ['alert'] as const,
    registers: [registry],
    collect() {
      if (!current) return;
      const active = new Set(current.alerts.map((a) => a.name));
      for (const alert of ALERT_NAMES) this.set({ alert }, active.has(alert) ? 1 : 0);
    },
  });
  addCollectionMetrics(registry, now);
  addBuildInfo(registry, options.sqliteVersion);
  const ofProcess = options.defaultMetrics === false ? undefined : processMetrics();

  let queue: Promise<unknown> = Promise.resolve();
  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    render(snapshot) {
      const run = queue.then(async () => {
        current = snapshot;
        try {
          const ours = await registry.metrics();
          return ofProcess ? `${ours}${await ofProcess.metrics()}` : ours;
        } finally {
          current = null;
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

function addCollectionMetrics(registry: Registry, now: () => CollectorMetricsSnapshot | null): void {
  for (const [name, help, pick] of COLLECTION_COUNTERS) {
    snapshotCounter(registry, name, help, () => {
      const c = now()?.collection;
      return c ? pick(c) : undefined;
    });
  }
  new Gauge({
    name: 'gecko_collectors_running',
    help: 'Collector threads polling now.',
    registers: [registry],
    collect() {
      const c = now()?.collection;
      if (c) this.set(c.collectorsRunning);
    },
  });
  for (const [name, help, pick] of POOL_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        const c = now()?.collection;
        if (!c) return;
        this.reset();
        for (const p of c.pools) this.inc({ pool: p.pool }, pick(p));
      },
    });
  }
  for (const [name, help, pick] of POOL_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        const c = now()?.collection;
        if (!c) return;
        this.reset();
        for (const p of c.pools) {
          const v = pick(p);
          if (v !== undefined) this.set({ pool: p.pool }, v);
        }
      },
    });
  }
  for (const [name, help, pick] of [
    [
      'gecko_schedule_needed_calls_per_minute',
      'Calls/min the pools need (the budget plan).',
      (p: SchedulePlanFigures) => p.neededPerMin,
    ],
    [
      'gecko_schedule_budget_calls_per_minute',
      'The call budget, calls/min.',
      (p: SchedulePlanFigures) => p.budgetPerMin,
    ],
    [
      'gecko_schedule_missed_per_hour',
      'Trades an hour the budget plan expects to miss at current rates (0: the budget covers every pool).',
      (p: SchedulePlanFigures) => p.short?.missedPerHour ?? 0,
    ],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const plan = now()?.collection?.schedule;
        if (plan) this.set(pick(plan));
      },
    });
  }
  new Gauge({
    name: 'gecko_pool_seconds_since_success',
    help: "Seconds since the pool's last successful poll (since the run started, before its first one).",
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      const s = now();
      const c = s?.collection;
      if (!s || !c) return;
      this.reset();
      for (const p of c.pools)
        this.set({ pool: p.pool }, Math.max(0, (s.at - (p.lastSuccessAt ?? c.startedAt)) / 1000));
    },
  });
}
