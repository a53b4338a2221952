// Faults of a real PostgreSQL server under load, on a private cluster of this file's own (so the shared server
// is never disturbed): a restart mid-run, connections refused while it is down, the writer's connection killed
// (pg_terminate_backend), a table lock held by another session past lock_timeout, and a statement canceled by
// statement_timeout. Each time the breaker opens, the spool keeps every batch, replay writes them after
// recovery, and every acknowledged trade is stored exactly once.
import { describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../../src/config/database-config.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { connectTestServer } from '../../support/postgres.ts';
import { type PrivateCluster, privateCluster } from '../../support/private-pg-cluster.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { gate, runSenders, waitForDrain } from '../faults/fault-harness.ts';

const dir = tempDir('gecko-pg-faults-');
let cluster: PrivateCluster | undefined;
let schemas = 0;

async function funnel(config: Partial<DatabaseConfig> = {}) {
  cluster ??= await privateCluster();
  const url = `${cluster.url}?schema=fault_${++schemas}`;
  const m = new LockOptimizedDatabaseManager(
    { url, busyTimeoutMs: 200, lockRetries: 1, connectTimeoutMs: 1000, ...config },
    {
      breaker: { consecutiveFailures: 2, openMs: 300, maxOpenMs: 1000, halfOpenTrials: 1 },
      supervisor: { restartDelayMs: 50 },
      replayIntervalMs: 200,
      deferred: { path: `${dir}/fault_${schemas}.spool` },
    },
  );
  await m.initialize();
  const events: string[] = [];
  m.breaker.on('stateChange', (e) => events.push(`${e.from}->${e.to}`));
  return { m, url, events };
}

/** Every trade the senders stored (4 senders × 40 batches × 50 trades), each exactly once. */
async function distinctTrades(url: string): Promise<{ rows: number; distinct: number }> {
  const c = await connectTestServer(url.replace(/\?schema=(\w+)$/, ''), {
    options: `-c search_path=${/schema=(\w+)/.exec(url)![1]}`,
  });
  try {
    const r = await c.query<{ rows: number; distinct: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct FROM trades',
    );
    return r.rows[0]!;
  } finally {
    await c.end();
  }
}

async function expectAllStored(m: LockOptimizedDatabaseManager, url: string, events: string[], breakerOpened = true) {
  await waitForDrain(m);
  await m.close();
  if (breakerOpened) {
    expect(events).toContain('CLOSED->OPEN');
    expect(events.at(-1)).toBe('HALF_OPEN->CLOSED');
  }
  expect(await distinctTrades(url)).toEqual({ rows: 160 * 50, distinct: 160 * 50 });
}

/** Until the breaker has opened and batches wait in the spool: the fault has been met, and can be lifted. */
function untilOpenAndDeferred(m: LockOptimizedDatabaseManager, events: string[], when: string): Promise<void> {
  return until(
    () => events.includes('CLOSED->OPEN') && m.deferredDepth().batches > 0,
    60_000,
    `the breaker to open and batches to be deferred ${when}`,
  );
}

describe('PostgreSQL faults (private cluster)', () => {
  it('server restart: connections refused while it is down, then every batch written once', async () => {
    const { m, url, events } = await funnel();
    let acked = 0;
    const resume = gate();
    const senders = runSenders(m, 4, 40, 50, 40, (r) => (acked = r.done), { after: 10, until: resume.opened });
    await until(() => acked === 40, 60_000, 'the batches before the hold to commit');
    cluster!.stop('fast');
    resume.open();
    await untilOpenAndDeferred(m, events, 'while the server is down');
    cluster!.start();
    const report = await senders;
    expect(report.failed).toEqual([]);
    expect(report.done).toBe(160);
    await expectAllStored(m, url, events);
  });

  it('the writer connection killed (pg_terminate_backend) mid-run: it reconnects, nothing lost', async () => {
    const { m, url, events } = await funnel();
    const admin = await connectTestServer(cluster!.url);
    let acked = 0;
    const senders = runSenders(m, 4, 40, 50, 40, (r) => (acked = r.done));
    const writerPids = async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'gecko-collector writer'`,
        )
      ).rows.map((r) => r.pid);
    const killed: number[] = [];
    // Three kills, each once the writer has committed again since the last (or the senders are done).
    for (let i = 0; i < 3; i++) {
      const ackedBefore = acked;
      await until(
        async () => acked === 160 || (acked > ackedBefore && (await writerPids()).length > 0),
        60_000,
        'a commit on a live writer connection',
      );
      const pids = await writerPids();
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      killed.push(...pids);
    }
    const report = await senders;
    expect(killed.length).toBeGreaterThan(0);
    expect(report.failed).toEqual([]);
    expect(report.done).toBe(160);
    // Still writing, on a new connection.
    await m.write({ trades: [] });
    const now = await writerPids();
    await admin.end();
    expect(now).toHaveLength(1);
    expect(killed).not.toContain(now[0]);
    // A lost connection fails one group, not the database: the breaker need not open for it.
    await expectAllStored(m, url, events, false);
  });

  it.each([
    ['lock_timeout', { busyTimeoutMs: 200, lockRetries: 0 }],
    ['statement_timeout', { busyTimeoutMs: 0, statementTimeoutMs: 300, lockRetries: 0 }],
  ])('a table lock held by another session past %s: deferred, then replayed', async (_what, config) => {
    const { m, url, events } = await funnel(config);
    const schema = /schema=(\w+)/.exec(url)![1]!;
    const holder = await connectTestServer(cluster!.url, { options: `-c search_path=${schema}` });
    let acked = 0;
    const resume = gate();
    const senders = runSenders(m, 4, 40, 50, 40, (r) => (acked = r.done), { after: 10, until: resume.opened });
    await until(() => acked === 40, 60_000, 'the batches before the hold to commit');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE trades IN EXCLUSIVE MODE');
    resume.open();
    await untilOpenAndDeferred(m, events, 'while the table is locked');
    await holder.query('COMMIT');
    await holder.end();
    const report = await senders;
    expect(report.failed).toEqual([]);
    expect(report.done).toBe(160);
    expect(report.deferred).toBeGreaterThan(0);
    const writer = await m.getWriterMetrics();
    expect(writer.batchesFailed).toBeGreaterThan(0);
    await expectAllStored(m, url, events);
  });
});
