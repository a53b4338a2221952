// Metrics export of a collection run: /metrics served while it runs (port 0 → the real URL in the handle and
// progress), closed at the end; `<db>.metrics.json` refreshed during the run and written at the end, which
// `doctor` then shows offline.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import type { DatabaseReport } from '../../../src/doctor/database-report.ts';
import { componentLogger } from '../../../src/logging/logger.ts';
import { type CollectionProgress, type CollectionSummary, startCollection } from '../../../src/run/collection-run.ts';
import {
  MetricsFileError,
  MetricsFileWriter,
  parseMetricsFile,
  type RunMetricsFile,
  readMetricsFile,
  writeMetricsFile,
} from '../../../src/run/metrics-file.ts';
import { captureIo, cli } from '../../support/collect-run.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until, untilValue } from '../../support/until.ts';

const dir = tempDir('gecko-metrics-');

function gauge(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('collect metrics export', () => {
  it('serves /metrics during the run (port 0), refreshes <db>.metrics.json, and doctor shows the last run', async () => {
    const dbPath = path.join(dir, 'run.db');
    const metricsPath = `${dbPath}.metrics.json`;
    const progress: CollectionProgress[] = [];
    const handle = await startCollection({
      simulate: true,
      collectors: 2,
      pollIntervalMs: 300,
      dbUrl: urlFromDatabasePath(dbPath),
      metricsPort: 0,
      metricsFileIntervalMs: 200,
      progressIntervalMs: 100,
      onProgress: (p) => progress.push(p),
    });
    let summary: CollectionSummary;
    try {
      expect(handle.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(handle.metricsUrl).not.toMatch(/:0\//);
      expect(handle.metricsFile).toBe(metricsPath);
      await handle.ready;

      // Scraped while collecting: the breaker is closed and rows are arriving.
      const text = await untilValue(
        async () => {
          const res = await fetch(handle.metricsUrl!);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
          const body = await res.text();
          return (gauge(body, 'gecko_rows_inserted_total') ?? 0) > 0 ? body : undefined;
        },
        30_000,
        'rows in /metrics',
      );
      expect(text).toMatch(/^gecko_breaker_state\{state="CLOSED"\} 1$/m);
      expect(text).toMatch(/^gecko_breaker_state\{state="OPEN"\} 0$/m);
      expect(gauge(text, 'gecko_lock_errors_total')).toBe(0);
      expect(gauge(text, 'gecko_deferred_batches')).toBe(0);
      // What runs, and the process it runs in.
      expect(text).toMatch(/^gecko_build_info\{version="[^"]+",node="v20\.[^"]+",sqlite="3\.[^"]+"\} 1$/m);
      expect(gauge(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(gauge(text, 'nodejs_eventloop_lag_seconds')).toEqual(expect.any(Number));
      // Batch sizes as a histogram: every committed trade batch in a bucket, their rows in the sum.
      const count = gauge(text, 'gecko_batch_size_rows_count')!;
      expect(count).toBeGreaterThan(0);
      expect(gauge(text, 'gecko_batch_size_rows_bucket{le="+Inf"}')).toBe(count);
      expect(gauge(text, 'gecko_batch_size_rows_sum')).toBeGreaterThanOrEqual(count);
      expect(text).not.toContain('gecko_batch_avg_size');

      // The file appears during the run, marked as not finished.
      const during = await untilValue(
        () => (fs.existsSync(metricsPath) ? readMetricsFile(metricsPath) : undefined) ?? undefined,
        30_000,
        'a periodic metrics file',
      );
      expect(during).toMatchObject({ manager: 'funnel', finishedAt: null, batching: true, pragmas: 'optimized' });
      expect(during.snapshot?.breaker.state).toBe('CLOSED');
      await untilValue(() => progress.find((p) => p.metricsUrl === handle.metricsUrl), 30_000, 'progress with the URL');
    } finally {
      handle.stop();
      summary = await handle.done;
    }

    expect(summary.simulator?.allServedStored).toBe(true);
    expect(summary.metricsUrl).toBe(handle.metricsUrl);
    // Closed with the run.
    await expect(fetch(handle.metricsUrl!)).rejects.toThrow();

    const final = readMetricsFile(metricsPath)!;
    expect(final.finishedAt).toEqual(expect.any(Number));
    expect(final.snapshot).toEqual(summary.metrics);
    expect(final.snapshot!.lock.rowsInserted).toBe(summary.stored);
    const { batches, rows, sizes } = final.snapshot!.batch;
    expect(sizes).toMatchObject({ count: batches, sum: rows });
    expect(sizes!.counts.at(-1)).toBeLessThanOrEqual(batches);
    expect(final.lock).toEqual({ lockErrors: 0, busyRetries: 0 });
    // Written atomically: no temp file left behind.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);

    const doctor = captureIo();
    expect(await main(['doctor', '--db', urlFromDatabasePath(dbPath), '--json', '--quick'], doctor.io)).toBe(0);
    const report = JSON.parse(doctor.stdout) as DatabaseReport;
    expect(report.lockErrors).toBe(0);
    expect(report.lastRun).toMatchObject({
      file: metricsPath,
      manager: 'funnel',
      at: new Date(final.snapshot!.at).toISOString(),
      finishedAt: new Date(final.finishedAt!).toISOString(),
      lockErrors: 0,
      busyRetries: 0,
      breaker: { state: 'CLOSED', opens: 0 },
      deferred: { batches: 0, deferredTotal: 0, replayedTotal: 0 },
      writer: { restarts: 0 },
      batchFill: { rows: summary.stored, maxBatchSize: 200 },
      alerts: [],
    });
    // Nothing was deferred, so no spool file was ever created beside the database.
    expect(report.spool).toBeNull();
  });

  it('collect --metrics-port 0 prints the URL on stderr and serves it while running', async () => {
    const dbPath = path.join(dir, 'cli.db');
    const c = captureIo();
    const running = main(
      [
        'collect',
        '--simulate',
        '--duration',
        '1.5',
        '--collectors',
        '2',
        '--poll-interval',
        '0.4',
        '--metrics-port',
        '0',
        '--db',
        urlFromDatabasePath(dbPath),
      ],
      c.io,
    );
    const url = await untilValue(
      () => /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(c.stderr)?.[1],
      30_000,
      'the metrics URL on stderr',
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^gecko_breaker_state\{state="CLOSED"\} 1$/m);
    // The collection's own families, one series per pool of the run.
    expect(text).toMatch(/^# TYPE gecko_pool_requests_total counter$/m);
    expect(text.match(/^gecko_pool_seconds_since_success\{pool="solana_[^"]+"\} /gm)).toHaveLength(4);
    // Polling and writing: healthy.
    const health = await fetch(url.replace(/\/metrics$/, '/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, status: 'ok', breaker: 'CLOSED', reasons: [] });
    expect(await running).toBe(0);
    expect(c.stderr.trim().split('\n')).toEqual([
      `metrics: ${url}`,
      `health: ${url.replace(/\/metrics$/, '/healthz')}`,
      `status page: ${url.replace(/metrics$/, '')}`,
    ]);
    expect(c.stdout).toMatch(/^\s+breaker:\s+CLOSED, 0 opens; deferred 0, replayed 0, waiting 0$/m);
    expect(c.stdout).toContain(`metrics file:        ${dbPath}.metrics.json`);
  });

  it.each([
    [['--simulate', '--metrics-port', '70000'], /--metrics-port must be an integer from 0 to 65535/],
    [['--simulate', '--metrics-port', 'x'], /--metrics-port must be an integer/],
    [['--simulate', '--metrics-host', '0.0.0.0'], /--metrics-host needs --metrics-port/],
    [['--simulate', '--metrics-port', '0', '--manager', 'direct'], /--metrics-port needs --manager funnel/],
  ])('bad value %j → exit 2 with one line', async (args, message) => {
    const r = await cli(['collect', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the metrics file: atomic replace, strict parsing, and no write after the final one', async () => {
    const file = path.join(dir, 'unit.metrics.json');
    const content = (finishedAt: number | null): RunMetricsFile => ({
      format: 'gecko-collector/run-metrics',
      version: 1,
      writtenAt: 1,
      startedAt: 1,
      finishedAt,
      pid: 1,
      manager: 'direct',
      pragmas: 'optimized',
      batching: true,
      snapshot: null,
      lock: { lockErrors: 2, busyRetries: 5 },
    });
    await writeMetricsFile(file, content(null));
    expect(readMetricsFile(file)).toEqual(content(null));
    expect(readMetricsFile(path.join(dir, 'none.json'))).toBeNull();
    expect(() => parseMetricsFile(file, '{')).toThrow(MetricsFileError);
    expect(() => parseMetricsFile(file, JSON.stringify({ ...content(null), version: 9 }))).toThrow(
      /version 9 is not supported/,
    );
    expect(() => parseMetricsFile(file, JSON.stringify({ ...content(null), snapshot: { at: 1 } }))).toThrow(
      /snapshot.lock is missing/,
    );

    // A slow periodic refresh still running when finish() comes must not overwrite the final file.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const steps: string[] = [];
    const writer = new MetricsFileWriter({
      path: file,
      intervalMs: 10,
      logger: componentLogger('test'),
      build: async (final) => {
        if (final) return content(42);
        steps.push('refresh started');
        await gate;
        steps.push('refresh built');
        return content(null);
      },
    });
    writer.start();
    await until(() => steps.length > 0, 10_000, 'a periodic refresh to start');
    const finishing = writer.finish();
    release();
    await finishing;
    // finish() waited for the refresh in progress (and whatever it wrote) before the final write.
    expect(steps).toEqual(['refresh started', 'refresh built']);
    expect(readMetricsFile(file)?.finishedAt).toBe(42);
  });
});
