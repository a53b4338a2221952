// The small HTTP server a run's operators poll: GET /metrics (Prometheus text from a snapshot), GET /healthz
// (200 while healthy, 503 when not, with a JSON body saying why), and the live view: GET / (a static page) and
// GET /status.json (the per-pool status it polls). Any of them may be left out.

import http from 'node:http';
import { ConfigError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import type { HealthReport } from './health.ts';
import type { CollectorMetricsSnapshot } from './metrics-snapshot.ts';
import { STATUS_PAGE_HTML } from './status-page.ts';
import type { StatusReport } from './status-report.ts';

export interface MetricsServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 127.0.0.1: metrics are not published beyond the machine unless asked. */
  host?: string;
  /** Serves /metrics when given. */
  snapshot?: () => Promise<CollectorMetricsSnapshot>;
  /** Serves /healthz when given. */
  health?: () => HealthReport;
  /** Serves the status page on / and its figures on /status.json when given. */
  status?: () => Promise<StatusReport>;
  /** See MetricsRegistryOptions.defaultMetrics. Default true. */
  defaultMetrics?: boolean;
  logger?: Logger;
}

export interface MetricsServer {
  /** The scrape URL, e.g. http://127.0.0.1:9464/metrics (with the real port when 0 was asked). */
  readonly url: string;
  /** The health URL, when the server answers /healthz. */
  readonly healthUrl: string | undefined;
  /** The status page's URL (`http://host:port/`), when the server serves it. */
  readonly statusUrl: string | undefined;
  /** Stops listening and destroys every open connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(/\r?\n/, 1)[0] ?? '';
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

/** Serves /metrics and/or /healthz; resolves once listening. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host = '127.0.0.1', snapshot, health, status } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('port', port, 'expected an integer from 0 to 65535');
  }
  if (typeof host !== 'string' || host === '') throw new ConfigError('host', host, 'expected a host name or address');
  if (snapshot !== undefined && typeof snapshot !== 'function')
    throw new ConfigError('snapshot', snapshot, 'expected a function');
  if (!snapshot && !health && !status)
    throw new ConfigError('snapshot', snapshot, 'give a snapshot, health or status function');
  const log = options.logger ?? componentLogger('metrics-server');
  // prom-client is slow to load: only servers that answer /metrics pay for it.
  const metrics = snapshot
    ? (await import('./prometheus-exporter.ts')).createMetricsRegistry({
        defaultMetrics: options.defaultMetrics ?? true,
      })
    : undefined;
  const paths = [
    ...(snapshot ? ['/metrics'] : []),
    ...(health ? ['/healthz'] : []),
    ...(status ? ['/', '/status.json'] : []),
  ];

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (!path || !paths.includes(path)) {
      res.writeHead(404, TEXT).end(`not found; this server answers ${paths.join(' and ')}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...TEXT, Allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/' && status) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : STATUS_PAGE_HTML);
      return;
    }
    if (path === '/status.json' && status) {
      Promise.resolve()
        .then(() => status())
        .then(
          (report) => {
            res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
            res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(report)}\n`);
          },
          (err: unknown) => {
            log.warn({ err }, 'status read failed');
            res.writeHead(500, TEXT).end(`error reading the status: ${oneLine(err)}\n`);
          },
        );
      return;
    }
    if (path === '/healthz' && health) {
      let report: HealthReport;
      try {
        report = health();
      } catch (err) {
        res.writeHead(500, TEXT).end(`error evaluating health: ${oneLine(err)}\n`);
        return;
      }
      res.writeHead(report.healthy ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(report)}\n`);
      return;
    }
    // Promise.resolve().then: a snapshot function that throws synchronously is also answered with a 500.
    Promise.resolve()
      .then(() => snapshot!())
      .then((s) => metrics!.render(s))
      .then(
        (body) => {
          res.writeHead(200, { 'Content-Type': metrics!.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          log.error({ err }, 'metrics scrape failed');
          if (res.headersSent) {
            res.destroy();
            return;
          }
          res.writeHead(500, TEXT);
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
  const base = `http://${urlHost}:${boundPort}`;
  const url = `${base}${snapshot ? '/metrics' : health ? '/healthz' : '/'}`;
  const statusUrl = status ? `${base}/` : undefined;
  log.info({ url, health: health !== undefined, statusUrl }, 'metrics server listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    healthUrl: health ? `${base}/healthz` : undefined,
    statusUrl,
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
