// Messages between the load harness and its producer threads (bench-only; the product's own thread
// messages live in src/protocol/messages.ts).

import type { MessagePort } from 'node:worker_threads';
import type { DatabaseConfig } from '../src/config/database-config.ts';
import type { LockContentionMetrics } from '../src/protocol/lock-contention-metrics.ts';
import type { LatencySummary } from '../src/protocol/messages.ts';
import type { ThreadTimes } from './thread-cpu.ts';

export interface ProducerData {
  producer: number;
  manager: 'funnel' | 'direct';
  /** funnel: this producer's data port to the writer. */
  port?: MessagePort;
  /** direct: the database URL to open its own connection on, and the rest of its DatabaseConfig. */
  dbUrl: string;
  dbConfig: Partial<Omit<DatabaseConfig, 'url'>>;
  /** The trade indices this producer offers, in order (transferred, not copied: 2M of them are 8 MB). */
  indices: Int32Array<ArrayBuffer>;
  seed: number;
  batchSize: number;
  maxInFlight: number;
  /** Offered rows per second for this producer; 0 = as fast as possible. */
  ratePerSec: number;
  /** Generate each batch just before sending it instead of all up front (bounded memory for huge runs). */
  lazy: boolean;
  /** This thread's nice value, as collector threads get (see src/common/thread-priority.ts). */
  nice: number;
}

export type ProducerToHarness =
  | { kind: 'ready' }
  | {
      kind: 'done';
      batches: number;
      inserted: number;
      duplicates: number;
      rejected: number;
      failedBatches: number;
      latency: LatencySummary;
      latencySamples: number[];
      direct?: LockContentionMetrics;
      /** This producer thread from "go" to "done" (null off Linux), and its kernel thread id. */
      thread: { tid: number; times: ThreadTimes } | null;
    };

export type HarnessToProducer = { kind: 'go' };
