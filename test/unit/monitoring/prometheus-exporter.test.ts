// The Prometheus registry: each family of the type Prometheus users expect (read back with a text-format
// parser: counters for `_total`, a histogram in seconds, gauges for levels, per-pool families). The endpoint
// that serves it is tested in test/integration/monitoring/metrics-server.test.ts.

import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../../src/monitoring/prometheus-exporter.ts';
import { parsePrometheus } from '../../support/prometheus-text.ts';
import { busySnapshot, makeSnapshot } from '../../support/snapshot-fixture.ts';

describe('metric types', () => {
  it('every family parses as Prometheus text: _total counters, seconds histogram, gauges, bounded pool labels', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const families = parsePrometheus(await metrics.render(busySnapshot()));
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const f of families) {
      // Counters and only counters end in _total; no family is in milliseconds any more.
      expect(f.name.endsWith('_total'), f.name).toBe(f.type === 'COUNTER');
      expect(f.name, f.name).not.toMatch(/_ms$/);
      expect(f.help, f.name).not.toBe('');
    }
    expect(byName.get('gecko_commit_duration_seconds')?.type).toBe('HISTOGRAM');
    const hist = byName.get('gecko_commit_duration_seconds')!.metrics[0]!;
    expect(hist.count).toBe('1234');
    expect(hist.buckets).toMatchObject({ '0.001': '100', '0.1': '1233' });
    for (const gauge of [
      'gecko_writer_backlog_batches',
      'gecko_deferred_rows',
      'gecko_breaker_state',
      'gecko_query_latency_seconds',
      'gecko_pool_seconds_since_success',
      'gecko_collectors_running',
    ])
      expect(byName.get(gauge)?.type, gauge).toBe('GAUGE');
    // One series per pool the run polls, no other label values.
    for (const name of ['gecko_pool_requests_total', 'gecko_pool_seconds_since_success']) {
      const pools = byName.get(name)!.metrics.map((m) => m.labels?.pool);
      expect(pools, name).toEqual(['solana_A', 'solana_B']);
    }
    expect(byName.get('gecko_rows_inserted_total')?.metrics[0]?.value).toBe('246800');
  });

  it('a funnel snapshot without a run: collection counters at 0, no pool series', async () => {
    const families = parsePrometheus(await createMetricsRegistry().render(makeSnapshot()));
    const requests = families.find((f) => f.name === 'gecko_api_requests_total');
    expect(requests?.type).toBe('COUNTER');
    expect(requests?.metrics).toEqual([{ value: '0' }]);
    expect(families.find((f) => f.name === 'gecko_pool_requests_total')?.metrics).toEqual([]);
  });
});

describe('createMetricsRegistry', () => {
  it('renders concurrent snapshots each with its own values', async () => {
    const metrics = createMetricsRegistry();
    const [a, b] = await Promise.all([
      metrics.render(makeSnapshot({ lock: { operations: 1 } })),
      metrics.render(makeSnapshot({ lock: { operations: 2 } })),
    ]);
    expect(a).toContain('gecko_write_operations_total 1\n');
    expect(b).toContain('gecko_write_operations_total 2\n');
  });

  it('leaves the process metrics out when asked, and keeps one set of them for every registry of the process', async () => {
    const without = await createMetricsRegistry({ defaultMetrics: false }).render(makeSnapshot());
    expect(without).not.toContain('process_cpu_user_seconds_total');
    expect(without).toContain('gecko_write_operations_total 0\n');
    const [a, b] = [createMetricsRegistry(), createMetricsRegistry()];
    for (const text of [await a.render(makeSnapshot()), await b.render(makeSnapshot())])
      expect(text.match(/^# TYPE process_cpu_user_seconds_total counter$/gm)).toHaveLength(1);
  });
});
