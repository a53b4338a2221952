// Half-open lets the trials through and nothing else: 4 real sender threads keep posting while the breaker is
// half-open and the writer is stuck on the trial (another program holds the database's write lock). Only
// `halfOpenTrials` batches reach the writer; every other batch waits in the spool as it would while open, and
// once the trial commits and the breaker closes, every batch is stored.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { WriteFailedError } from '../../../src/errors.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { linkTransferList } from '../../../src/sender/writer-link.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { tradeCount } from '../../support/trade-count.ts';
import { until } from '../../support/until.ts';
import type { SentBatch } from './fixtures/gate-sender.worker.ts';

const dir = tempDir('gecko-half-open-');
const SENDERS = 4;
const TRIALS = 2;
const MAX_IN_FLIGHT = 8;
const BATCH = 5;

interface Sender {
  worker: Worker;
  sentInHalfOpen: number;
  stopped: boolean;
  batches: SentBatch[] | undefined;
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.terminate();
});

describe('a half-open breaker with 4 sender threads', () => {
  it(`lets exactly halfOpenTrials (${TRIALS}) batches reach the writer until it closes, and loses none`, async () => {
    const dbPath = path.join(dir, 'half-open.db');
    const manager = new LockOptimizedDatabaseManager(
      // The writer waits for the other program's lock (well beyond this test) instead of failing the trial.
      { url: urlFromDatabasePath(dbPath), busyTimeoutMs: 120_000 },
      {
        breaker: {
          consecutiveFailures: 1,
          windowSize: 0,
          openMs: 300,
          halfOpenTrials: TRIALS,
          halfOpenTrialTimeoutMs: 120_000,
        },
      },
    );
    await manager.initialize();
    const senders: Sender[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const link = await manager.linkForWorker();
      const worker = new Worker(new URL('./fixtures/gate-sender.worker.js', import.meta.url), {
        workerData: { link, worker: i, batchSize: BATCH, maxInFlight: MAX_IN_FLIGHT },
        transferList: linkTransferList(link),
      });
      workers.push(worker);
      const s: Sender = { worker, sentInHalfOpen: 0, stopped: false, batches: undefined };
      worker.on('message', (m: { kind: string; sentIn?: string; batches?: SentBatch[] }) => {
        if (m.kind === 'sent' && m.sentIn === 'HALF_OPEN') s.sentInHalfOpen++;
        if (m.kind === 'stopped') s.stopped = true;
        if (m.kind === 'done') s.batches = m.batches;
      });
      senders.push(s);
    }

    // Another program takes the write lock, the writer reports a failure, the breaker opens, then half-opens.
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    manager.breaker.recordFailure(new WriteFailedError('disk I/O error', 'SQLITE_IOERR'));
    expect(manager.breaker.state).toBe('OPEN');
    await until(() => manager.breaker.state === 'HALF_OPEN', 10_000, 'half-open');
    for (const s of senders) s.worker.postMessage('send');
    // Every sender posts a credit window's worth while the first trial is stuck behind the lock.
    await until(() => senders.every((s) => s.sentInHalfOpen >= MAX_IN_FLIGHT), 30_000, 'posts while half-open');
    for (const s of senders) s.worker.postMessage('stop');
    await until(() => senders.every((s) => s.stopped), 10_000, 'the senders to stop');
    expect(manager.breaker.state).toBe('HALF_OPEN');

    other.exec('ROLLBACK');
    other.close();
    await until(() => manager.breaker.state === 'CLOSED', 30_000, 'the trials to close the breaker');
    await until(() => senders.every((s) => s.batches !== undefined), 30_000, 'every batch answered');
    await until(() => manager.deferredDepth().batches === 0, 30_000, 'the spool to drain');
    await manager.close();

    const batches = senders.flatMap((s) => s.batches!);
    const inHalfOpen = batches.filter((b) => b.sentIn === 'HALF_OPEN');
    // Committed by the writer while half-open (not via the spool): the trials, and nothing else.
    expect(inHalfOpen.filter((b) => !b.deferred).length).toBe(TRIALS);
    expect(inHalfOpen.filter((b) => b.deferred).length).toBeGreaterThanOrEqual(SENDERS * MAX_IN_FLIGHT - TRIALS);
    // Nothing lost: every batch of every sender is stored, each trade once.
    expect(tradeCount(dbPath)).toBe(batches.length * BATCH);
    expect(new Set(batches.flatMap((b) => b.ids)).size).toBe(batches.length * BATCH);
  });
});
