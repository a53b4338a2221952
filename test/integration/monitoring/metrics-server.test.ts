// The /metrics endpoint: exact exposition lines for a known snapshot (breaker state and alert gauges
// included), /healthz, 404/405 for anything else, 500 when the snapshot fails, and close() leaving no open handles.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import type { CollectorMetricsSnapshot } from '../../../src/monitoring/metrics-snapshot.ts';
import {
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from '../../../src/monitoring/monitoring-server.ts';
import { bundledSqliteVersion } from '../../../src/storage/sqlite/sqlite-version.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { busySnapshot, makeSnapshot } from '../../support/snapshot-fixture.ts';
import { until } from '../../support/until.ts';

const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

const servers: MetricsServer[] = [];
async function start(snapshot: MetricsServerOptions['snapshot']): Promise<MetricsServer> {
  const server = await startMetricsServer({ port: 0, snapshot });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

/** until(), and on a timeout the handles still open: what close() failed to release. */
const waitFor = (condition: () => boolean, timeoutMs = 10_000) =>
  until(condition, timeoutMs, 'handles to close').catch((err: Error) => {
    throw new Error(`${err.message}; active: ${process.getActiveResourcesInfo().join(', ')}`);
  });

describe('startMetricsServer', () => {
  it('serves the snapshot as Prometheus text on GET /metrics', async () => {
    const server = await start(async () => busySnapshot());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(server.url).not.toContain(':0/');

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = (await res.text()).split('\n');
    for (const line of [
      '# TYPE gecko_lock_errors_total counter',
      'gecko_lock_errors_total 3',
      'gecko_busy_retries_total 7',
      'gecko_busy_waits_total 2',
      'gecko_write_operations_total 1234',
      'gecko_rows_inserted_total 246800',
      'gecko_duplicates_total 55',
      'gecko_rows_rejected_total 4',
      '# TYPE gecko_commit_duration_seconds histogram',
      'gecko_commit_duration_seconds_bucket{le="0.001"} 100',
      'gecko_commit_duration_seconds_bucket{le="0.01"} 1200',
      'gecko_commit_duration_seconds_bucket{le="0.1"} 1233',
      'gecko_commit_duration_seconds_bucket{le="+Inf"} 1234',
      'gecko_commit_duration_seconds_sum 2.468',
      'gecko_commit_duration_seconds_count 1234',
      'gecko_query_latency_seconds 0.00035',
      'gecko_checkpoints_total 12',
      'gecko_api_requests_total 45',
      'gecko_api_throttled_total 5',
      'gecko_polls_succeeded_total 38',
      'gecko_pool_requests_total{pool="solana_A"} 22',
      'gecko_pool_throttled_total{pool="solana_B"} 3',
      'gecko_pool_errors_total{pool="solana_B"} 2',
      'gecko_pool_trades_stored_total{pool="solana_A"} 2000',
      // at - lastSuccessAt; a pool with no success yet counts from the run's start.
      'gecko_pool_seconds_since_success{pool="solana_A"} 10',
      'gecko_pool_seconds_since_success{pool="solana_B"} 60',
      'gecko_writer_backlog_batches 3',
      '# TYPE gecko_batch_size_rows histogram',
      'gecko_batch_size_rows_bucket{le="50"} 100',
      'gecko_batch_size_rows_bucket{le="200"} 1300',
      'gecko_batch_size_rows_bucket{le="+Inf"} 1300',
      'gecko_batch_size_rows_sum 243750',
      'gecko_batch_size_rows_count 1300',
      `gecko_build_info{version="${version}",node="${process.version}",sqlite="${bundledSqliteVersion()}"} 1`,
      // prom-client's process and Node metrics.
      '# TYPE process_cpu_user_seconds_total counter',
      '# TYPE nodejs_eventloop_lag_seconds gauge',
      '# TYPE nodejs_heap_size_used_bytes gauge',
      'gecko_batch_flushes_total{reason="size"} 1200',
      'gecko_batch_flushes_total{reason="maxWait"} 96',
      'gecko_batch_flushes_total{reason="flush"} 0',
      'gecko_batch_flushes_total{reason="close"} 4',
      'gecko_batch_flushes_total{reason="unspecified"} 0',
      'gecko_batch_flush_rows_total{reason="maxWait"} 3700',
      'gecko_batch_flush_rows_total{reason="close"} 50',
      'gecko_breaker_state{state="CLOSED"} 0',
      'gecko_breaker_state{state="OPEN"} 1',
      'gecko_breaker_state{state="HALF_OPEN"} 0',
      'gecko_breaker_state{state="ISOLATED"} 0',
      'gecko_breaker_opens_total 2',
      'gecko_breaker_rejections_total 17',
      'gecko_deferred_batches 5',
      'gecko_deferred_rows 900',
      'gecko_deferred_oldest_age_seconds 12.5',
      'gecko_deferred_total 9',
      'gecko_replayed_total 4',
      'gecko_writer_restarts_total 1',
      'gecko_alert_active{alert="lock-retry-rate"} 0',
      'gecko_alert_active{alert="breaker-open-too-long"} 1',
      'gecko_alert_active{alert="small-batches"} 0',
      'gecko_alert_active{alert="slow-query"} 0',
    ]) {
      expect(lines).toContain(line);
    }
    // The average in a gauge gave way to the histogram.
    expect(lines.some((l) => l.startsWith('gecko_batch_avg_size'))).toBe(false);
  });

  it('reads a fresh snapshot on every scrape', async () => {
    let state: CollectorMetricsSnapshot['breaker']['state'] = 'CLOSED';
    const server = await start(async () => makeSnapshot({ breaker: { state }, deferred: { oldestAgeMs: null } }));
    const first = await (await fetch(server.url)).text();
    expect(first).toContain('gecko_breaker_state{state="CLOSED"} 1\n');
    expect(first).toContain('gecko_deferred_oldest_age_seconds 0\n');
    state = 'ISOLATED';
    const second = await (await fetch(server.url)).text();
    expect(second).toContain('gecko_breaker_state{state="CLOSED"} 0\n');
    expect(second).toContain('gecko_breaker_state{state="ISOLATED"} 1\n');
  });

  it('answers 404 for other paths, 405 for other methods, and ignores a query string', async () => {
    const server = await start(async () => makeSnapshot());
    const base = new URL(server.url);
    expect((await fetch(new URL('/', base))).status).toBe(404);
    expect((await fetch(new URL('/metricsx', base))).status).toBe(404);
    expect((await fetch(new URL('/health', base))).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);
  });

  it('answers 500 with a one-line message when the snapshot fails, and keeps serving', async () => {
    let calls = 0;
    const server = await start(async () => {
      calls++;
      if (calls === 1) throw new Error('writer thread unavailable\nstack-ish detail');
      return makeSnapshot();
    });
    const failed = await fetch(server.url);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('error collecting metrics: writer thread unavailable\n');

    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gecko_breaker_state{state="CLOSED"} 1\n');
  });

  it('answers 500 when the snapshot function throws synchronously', async () => {
    const server = await start((() => {
      throw new Error('not initialized');
    }) as () => Promise<CollectorMetricsSnapshot>);
    const res = await fetch(server.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('error collecting metrics: not initialized\n');
  });

  it('close() releases the listener and every socket, including kept-alive ones', async () => {
    // Earlier tests' servers were closed in afterEach; their client sockets see EOF on a later tick.
    await waitFor(() => tcpHandles() === 0);
    const server = await startMetricsServer({ port: 0, snapshot: async () => makeSnapshot() });
    // fetch keeps its connection alive in a pool: close() must not wait for it to time out.
    expect((await fetch(server.url)).status).toBe(200);
    // The listener plus both ends of fetch's kept-alive connection.
    expect(tcpHandles()).toBe(3);
    await server.close();
    await server.close(); // idempotent
    await waitFor(() => tcpHandles() === 0);
    expect(process.getActiveResourcesInfo()).not.toContain('TCPServerWrap');
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('rejects a bad port, and reports a port already in use', async () => {
    await expect(startMetricsServer({ port: 70_000, snapshot: async () => makeSnapshot() })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(startMetricsServer({ port: -1, snapshot: async () => makeSnapshot() })).rejects.toMatchObject({
      field: 'port',
    });
    const server = await start(async () => makeSnapshot());
    const port = Number(new URL(server.url).port);
    await expect(startMetricsServer({ port, snapshot: async () => makeSnapshot() })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
