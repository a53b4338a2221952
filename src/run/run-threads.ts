// The collector threads of a run: one piscina pool, one task per group of pools, each task with its own
// writer link (funnel) or database URL (direct) and its own log channel to the run's logger.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { THREAD_RESOURCE_LIMITS } from '../common/thread-limits.ts';
import type { DatabaseConfig } from '../config/database-config.ts';
import type { Logger } from '../logging/logger.ts';
import { openThreadLogChannel, type ThreadLogChannel } from '../logging/thread-logs.ts';
import type { CollectorResult, CollectorTask, PoolAssignment } from '../protocol/collector-task.ts';
import { linkTransferList } from '../sender/writer-link.ts';
import type { RunDatabase } from './run-database.ts';

const COLLECTOR_ENTRY = new URL('../../workers/collector-thread.js', import.meta.url);
// Direct mode's collectors open the database themselves: their own entry, so a funnel collector never loads storage.
const DIRECT_COLLECTOR_ENTRY = new URL('../../workers/direct-collector-thread.js', import.meta.url);

export interface CollectorThreads {
  /** One per group; rejects when that collector's task failed. */
  readonly runs: Promise<CollectorResult>[];
  /** With leaseCells or openSet: the main thread's end of each collector's pool control port. */
  readonly leaseControls: MessagePort[];
  destroy(): Promise<void>;
}

export async function startCollectorThreads(options: {
  groups: PoolAssignment[][];
  /** A collector's task, without its link, database or log channel (added here). */
  taskFor: (collectorId: number, pools: PoolAssignment[]) => CollectorTask;
  db: RunDatabase;
  /** Direct mode: the database each collector opens, and the run's other DatabaseConfig fields. */
  dbUrl: string;
  database: Partial<Omit<DatabaseConfig, 'url'>> | undefined;
  /** Where the threads' records go (the caller's logger, or the root one). */
  logTarget: Logger;
  /** Pools shared through leases: each collector starts empty and gets a control port (PoolLeaseCells buffer). */
  leaseCells?: SharedArrayBuffer;
  /** The pool set changes while the run goes on (no leases): each collector gets a control port. */
  openSet?: boolean;
}): Promise<CollectorThreads> {
  const { groups, db } = options;
  // Loaded here, not at the top: importing the library does not pay for the thread pool until a run starts.
  const { Piscina: ThreadPool } = await import('piscina');
  const pool: Piscina<CollectorTask, CollectorResult> = new ThreadPool<CollectorTask, CollectorResult>({
    filename: COLLECTOR_ENTRY.href,
    minThreads: groups.length,
    maxThreads: groups.length,
    idleTimeout: 60_000,
    resourceLimits: THREAD_RESOURCE_LIMITS,
  });
  const channels: ThreadLogChannel[] = [];
  const runs: Promise<CollectorResult>[] = [];
  const leaseControls: MessagePort[] = [];
  const threads: CollectorThreads = {
    runs,
    leaseControls,
    destroy: async () => {
      await pool.destroy();
      for (const c of channels) c.close();
    },
  };
  try {
    for (let i = 0; i < groups.length; i++) {
      const logs = openThreadLogChannel(options.logTarget);
      channels.push(logs);
      const task: CollectorTask = { ...options.taskFor(i, groups[i]!), log: logs.link };
      let transferList: MessagePort[] = [logs.link.port];
      if (options.leaseCells) {
        const { port1, port2 } = new MessageChannel();
        leaseControls.push(port1);
        task.leases = { control: port2, cells: options.leaseCells };
        transferList.push(port2);
      } else if (options.openSet) {
        const { port1, port2 } = new MessageChannel();
        leaseControls.push(port1);
        task.poolControl = port2;
        transferList.push(port2);
      }
      if (db.linkForWorker) {
        task.link = await db.linkForWorker();
        transferList = [...(linkTransferList(task.link) as MessagePort[]), ...transferList];
      } else {
        task.dbUrl = options.dbUrl;
        if (options.database) task.database = { ...options.database };
      }
      const filename = (task.manager === 'direct' ? DIRECT_COLLECTOR_ENTRY : COLLECTOR_ENTRY).href;
      runs.push(pool.run(task, { transferList, filename }));
    }
  } catch (err) {
    await threads.destroy();
    throw err;
  }
  // Observed by the caller later; keep an early failure from being an unhandled rejection meanwhile.
  for (const r of runs) r.catch(() => undefined);
  return threads;
}
