// Shared set-up for the fault tests: a funnel with fast breaker timings and N real sender threads.
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { DatabaseConfig } from '../../../src/config/database-config.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import {
  LockOptimizedDatabaseManager,
  type LockOptimizedManagerOptions,
} from '../../../src/funnel/lock-optimized-manager.ts';
import { linkTransferList } from '../../../src/sender/writer-link.ts';
import { until } from '../../support/until.ts';

export interface SenderReport {
  done: number;
  deferred: number;
  failed: string[];
}

export async function openFunnel(
  dbPath: string,
  config: Partial<DatabaseConfig> = {},
  options: LockOptimizedManagerOptions = {},
) {
  const manager = new LockOptimizedDatabaseManager(
    { url: urlFromDatabasePath(dbPath), busyTimeoutMs: 200, lockRetries: 1, ...config },
    {
      breaker: { consecutiveFailures: 2, openMs: 300, maxOpenMs: 1000, halfOpenTrials: 1 },
      supervisor: { restartDelayMs: 50 },
      replayIntervalMs: 200,
      ...options,
    },
  );
  await manager.initialize();
  return manager;
}

/** Holds every sender after its first `after` batches until `until` resolves: a fault set up meanwhile meets the rest. */
export interface SenderHold {
  after: number;
  until: Promise<void>;
}

/** Starts `senders` threads each storing `batches` × `batchSize` distinct trades; resolves when all finished. */
export async function runSenders(
  manager: LockOptimizedDatabaseManager,
  senders: number,
  batches: number,
  batchSize: number,
  pauseMs: number,
  onDone?: (report: SenderReport) => void,
  hold?: SenderHold,
): Promise<SenderReport> {
  const report: SenderReport = { done: 0, deferred: 0, failed: [] };
  const exits: Promise<unknown>[] = [];
  for (let w = 0; w < senders; w++) {
    const link = await manager.linkForWorker();
    const worker = new Worker(new URL('./fixtures/fault-sender.js', import.meta.url), {
      workerData: { link, worker: w, batches, batchSize, pauseMs, holdAfter: hold?.after ?? batches },
      transferList: linkTransferList(link),
    });
    void hold?.until.then(() => worker.postMessage('resume'));
    worker.on('message', (m: { kind: string; deferred?: boolean; error?: string }) => {
      if (m.kind === 'done') {
        report.done++;
        if (m.deferred) report.deferred++;
        onDone?.(report);
      } else if (m.kind === 'failed') report.failed.push(m.error!);
    });
    exits.push(once(worker, 'exit'));
  }
  await Promise.all(exits);
  return report;
}

/** A promise and the function that resolves it: a step a test releases once a condition holds. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Waits until the deferred queue is empty, replaying it (as the replay timer would) until it is. */
export async function waitForDrain(manager: LockOptimizedDatabaseManager, timeoutMs = 30_000): Promise<void> {
  await until(
    async () => {
      if (manager.deferredDepth().batches === 0) return true;
      await manager.replayDeferred();
      return manager.deferredDepth().batches === 0;
    },
    timeoutMs,
    'the deferred queue to drain',
  );
}

export function countAndCheck(dbPath: string): { trades: number; integrity: string } {
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      trades: (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n,
      integrity: db.pragma('integrity_check', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

export const dbIn = (dir: string, name: string) => path.join(dir, name);
