// Prometheus exposition of the collector's metrics snapshot: a prom-client registry whose gauges are filled
// from a snapshot at scrape time, and a small node:http server answering GET /metrics.

import http from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { ConfigError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import { BreakerState } from '../protocol/breaker-gate.ts';
import { BATCH_ORIGINS } from '../protocol/flush-reason.ts';
import { ALERT_NAMES } from './alert-evaluator.ts';
import type { CollectorMetricsSnapshot } from './metrics-snapshot.ts';

export interface MetricsRegistryOptions {
  /** Also export prom-client's default process metrics (CPU, memory, event loop...). Default false. */
  defaultMetrics?: boolean;
}

export interface GeckoMetricsRegistry {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s output. */
  readonly contentType: string;
  /** Prometheus text for one snapshot. Concurrent calls are serialized so each renders its own snapshot. */
  render(snapshot: CollectorMetricsSnapshot): Promise<string>;
}

type Picker = (s: CollectorMetricsSnapshot) => number;

// The source numbers are cumulative counters owned by the writer, breaker and deferred queue; prom-client
// counters can only be incremented, so everything is a gauge set to the snapshot's value at scrape time.
const SIMPLE_GAUGES: ReadonlyArray<readonly [name: string, help: string, pick: Picker]> = [
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
  [
    'gecko_query_latency_ms',
    'Latency of a simple SELECT 1 at snapshot time, in milliseconds.',
    (s) => s.lock.queryLatencyMs,
  ],
  ['gecko_writer_backlog_batches', 'Batches queued in the writer thread.', (s) => s.writer.backlog],
  ['gecko_batch_avg_size', 'Average rows per batch received by the writer.', (s) => s.batch.avgBatchSize],
  ['gecko_breaker_opens_total', 'Times the circuit breaker opened.', (s) => s.breaker.opens],
  ['gecko_breaker_rejections_total', 'Calls the circuit breaker rejected while shut.', (s) => s.breaker.rejections],
  ['gecko_deferred_batches', 'Batches waiting in the deferred queue.', (s) => s.deferred.batches],
  ['gecko_deferred_rows', 'Rows waiting in the deferred queue.', (s) => s.deferred.rows],
  [
    'gecko_deferred_oldest_age_seconds',
    'Age of the oldest deferred batch in seconds (0 when the queue is empty).',
    (s) => (s.deferred.oldestAgeMs === null ? 0 : s.deferred.oldestAgeMs / 1000),
  ],
  ['gecko_deferred_total', 'Batches deferred since start.', (s) => s.deferred.deferredTotal],
  ['gecko_replayed_total', 'Deferred batches replayed since start.', (s) => s.deferred.replayedTotal],
  ['gecko_writer_restarts_total', 'Times the writer thread was restarted.', (s) => s.writer.restarts],
];

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

const BREAKER_STATES = Object.values(BreakerState);

/** A registry holding the gecko_* gauges (and optionally default process metrics). */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): GeckoMetricsRegistry {
  const registry = new Registry();
  // Set only for the duration of one render; collect() callbacks read it. Between renders the gauges keep
  // the values of the last rendered snapshot.
  let current: CollectorMetricsSnapshot | null = null;

  for (const [name, help, pick] of SIMPLE_GAUGES) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (current) this.set(pick(current));
      },
    });
  }
  new Gauge({
    name: 'gecko_write_latency_ms',
    help: 'Write transaction latency in milliseconds, including lock waits.',
    labelNames: ['quantile'] as const,
    registers: [registry],
    collect() {
      if (!current) return;
      for (const [quantile, field] of QUANTILES) this.set({ quantile }, current.lock.writeLatencyMs[field]);
    },
  });
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
    new Gauge({
      name,
      help,
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        const byReason = current?.batch.byReason;
        if (!byReason) return;
        for (const reason of BATCH_ORIGINS) this.set({ reason }, byReason[reason][field]);
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
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });

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
          return await registry.metrics();
        } finally {
          current = null;
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export interface MetricsServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 127.0.0.1: metrics are not published beyond the machine unless asked. */
  host?: string;
  snapshot: () => Promise<CollectorMetricsSnapshot>;
  /** See MetricsRegistryOptions.defaultMetrics. Default false. */
  defaultMetrics?: boolean;
  logger?: Logger;
}

export interface MetricsServer {
  /** The scrape URL, e.g. http://127.0.0.1:9464/metrics (with the real port when 0 was asked). */
  readonly url: string;
  /** Stops listening and destroys every open connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** Serves GET /metrics from `snapshot()`; resolves once listening. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host = '127.0.0.1', snapshot } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('port', port, 'expected an integer from 0 to 65535');
  }
  if (typeof host !== 'string' || host === '') throw new ConfigError('host', host, 'expected a host name or address');
  if (typeof snapshot !== 'function') throw new ConfigError('snapshot', snapshot, 'expected a function');
  const log = options.logger ?? componentLogger('metrics-server');
  const metrics = createMetricsRegistry({ defaultMetrics: options.defaultMetrics ?? false });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found; metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' })
        .end('method not allowed\n');
      return;
    }
    // Promise.resolve().then: a snapshot function that throws synchronously is also answered with a 500.
    Promise.resolve()
      .then(() => snapshot())
      .then((s) => metrics.render(s))
      .then(
        (body) => {
          res.writeHead(200, { 'Content-Type': metrics.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          log.error({ err }, 'metrics scrape failed');
          if (res.headersSent) {
            res.destroy();
            return;
          }
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`error collecting metrics: ${oneLine(err)}\n`);
        },
      );
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After startup a server error (rare: e.g. EMFILE on accept) must not crash the collector.
  server.on('error', (err) => log.error({ err }, 'metrics server error'));

  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${boundPort}/metrics`;
  log.info({ url }, 'metrics server listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // server.close() only stops accepting; idle keep-alive sockets (a scraper's pooled connection)
        // would otherwise hold the process open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
