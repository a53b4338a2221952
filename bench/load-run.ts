// The load harness behind `npm run bench:load` (and the multi-thread tests): N real producer threads store
// their share of realistic trades, with overlap between producers, through the funnel or the direct way.

import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { summarize } from '../src/common/latency-recorder.ts';
import { DEFAULT_COLLECTOR_NICE } from '../src/common/thread-priority.ts';
import { type DatabaseConfig, DEFAULT_DATABASE_CONFIG } from '../src/config/database-config.ts';
import { urlFromDatabasePath } from '../src/config/database-url.ts';
import { DirectDatabaseManager } from '../src/direct/direct-manager.ts';
import { LockOptimizedDatabaseManager } from '../src/funnel/lock-optimized-manager.ts';
import type { LatencySummary } from '../src/protocol/messages.ts';
import { planProducers } from '../src/sim/synthetic-trades.ts';
import { withWriterSlowdown } from '../src/testing/index.ts';
import { collectGarbage } from './collect-garbage.ts';
import type { HarnessToProducer, ProducerData, ProducerToHarness } from './load-protocol.ts';
import { type MemoryBreakdown, memoryBreakdown } from './process-memory.ts';
import { round, roundSummary } from './rounding.ts';
import { NO_TIMES, sumTimes, type ThreadTimes, threadSnapshot, timesBetween } from './thread-cpu.ts';

export interface LoadOptions {
  manager: 'funnel' | 'direct';
  collectors: number;
  trades: number;
  duplicates: number;
  /** Absolute path of the database file; created if missing. */
  dbPath: string;
  batchSize?: number;
  maxInFlight?: number;
  seed?: number;
  /** Total offered rows/s across producers; 0 = unpaced (saturation). */
  rate?: number;
  dbConfig?: Partial<DatabaseConfig>;
  /** funnel: run the writer this many times slower (backpressure drill). */
  slowWriter?: number;
  /** Generate batches lazily in the producers (for runs too large to pre-build). */
  lazy?: boolean;
  /** Sample RSS every this many ms into `rssSamples`. */
  rssSampleMs?: number;
  /** The producers' nice value, as the product's collector threads (default DEFAULT_COLLECTOR_NICE; 0 = none). */
  collectorNice?: number;
}

export type RssSample = { atMs: number } & MemoryBreakdown;

/** Where the process's CPU went from "go" to the last ack, thread by thread (Linux only). */
export interface ThreadReport {
  /** The harness's own thread (the funnel manager's main-thread side lives here too). */
  main: ThreadTimes;
  /** The producer threads, summed. */
  producers: ThreadTimes;
  /** The funnel's writer thread, found by the OS thread id it reports at open; null in direct runs. */
  writer: ThreadTimes | null;
  /**
   * Every other thread that ran, busiest first: the checkpointer thread, V8's platform threads (parallel and
   * concurrent GC for every isolate) and libuv's pool.
   */
  others: ThreadTimes[];
}

export interface LoadResult {
  manager: 'funnel' | 'direct';
  collectors: number;
  /** The producers' nice value (the writer and the harness run at the process's own). */
  collectorNice: number;
  offered: number;
  unique: number;
  stored: number;
  inserted: number;
  duplicatesSeen: number;
  rejected: number;
  failedBatches: number;
  lockErrors: number;
  busyRetries: number;
  /** funnel: write transactions (group commits) the writer ran; direct: store calls. */
  transactions: number;
  integrity: string;
  journalMode: string;
  /** "go" → the last batch acked (funnel) or stored (direct). */
  seconds: number;
  /** After the clock: the funnel manager's close (final checkpoint, threads joined); 0 for direct. */
  closeSeconds: number;
  rowsPerSec: number;
  batchLatencyMs: LatencySummary;
  peakRssMb: number;
  cpuSeconds: number;
  /** With rssSampleMs: RSS over time, split anonymous / file-backed (shows whether memory stays bounded while producers wait). */
  rssSamples?: RssSample[];
  /** With rssSampleMs: the highest anonymous RSS sampled (heaps, page caches; null off Linux). */
  peakAnonMb?: number | null;
  /** Per-thread CPU and run-queue wait over the timed window; null off Linux. */
  threads: ThreadReport | null;
}

const PRODUCER_ENTRY = new URL('./load-worker.js', import.meta.url);

/**
 * Lazy producers (the backpressure drill) stand in for collectors: their live data is a few batches (each ~80 KB
 * of trades, kept until its ack, so it is promoted and dies in the old generation). Left to its defaults, V8 lets
 * each isolate's old generation fill with those dead batches long before a major GC: 8 producers then grow RSS
 * by ~150 MB of garbage, which says nothing about the funnel. With these caps a major GC comes early; measured
 * with `npm run bench:load -- --trades 200000 --slow-writer 10 --json`: peak RSS 309 MB at young 4 / old 64 MB,
 * 293 at 2 / 32, 266 at 2 / 16. Eager producers hold every pre-built trade, so they keep V8's defaults.
 */
const LAZY_PRODUCER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 };

export function defaultLoadDbPath(manager: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-load-')), `${manager}.db`);
}

/** Each producer's trade indices as a typed array (4 bytes each, transferable); the plan's arrays die here. */
function producerIndices(
  trades: number,
  collectors: number,
  duplicates: number,
): { unique: number; indices: Int32Array<ArrayBuffer>[] } {
  const { unique, plans } = planProducers(trades, collectors, duplicates);
  return { unique, indices: plans.map((p) => Int32Array.from(p.indices)) };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const seed = o.seed ?? 7;
  const batchSize = o.batchSize ?? 200;
  const maxInFlight = o.maxInFlight ?? DEFAULT_DATABASE_CONFIG.maxInFlight;
  const collectorNice = o.collectorNice ?? DEFAULT_COLLECTOR_NICE;
  const dbUrl = urlFromDatabasePath(o.dbPath);
  const { unique, indices } = producerIndices(o.trades, o.collectors, o.duplicates);
  // The plans' JS arrays (tens of MB for 2M trades) are garbage now; left alone they sit in the peak RSS.
  collectGarbage();
  let funnel: LockOptimizedDatabaseManager | undefined;
  if (o.manager === 'funnel') {
    funnel = new LockOptimizedDatabaseManager(
      { ...o.dbConfig, url: dbUrl },
      o.slowWriter ? withWriterSlowdown(o.slowWriter) : {},
    );
    await funnel.initialize();
  } else {
    // Create the schema once so the timed part measures storing, not N connections racing to migrate.
    const setup = new DirectDatabaseManager({ ...o.dbConfig, url: dbUrl });
    await setup.initialize();
    await setup.close();
  }

  const workers: Worker[] = [];
  const done: Promise<ProducerToHarness & { kind: 'done' }>[] = [];
  const ready: Promise<unknown>[] = [];
  const exits: Promise<unknown>[] = [];
  try {
    for (let p = 0; p < o.collectors; p++) {
      const port = funnel ? await funnel.connect() : undefined;
      const data: ProducerData = {
        producer: p,
        manager: o.manager,
        ...(port ? { port } : {}),
        dbUrl,
        dbConfig: o.dbConfig ?? {},
        indices: indices[p]!,
        seed,
        batchSize,
        maxInFlight,
        ratePerSec: o.rate ? o.rate / o.collectors : 0,
        lazy: o.lazy ?? false,
        nice: collectorNice,
      };
      const w = new Worker(PRODUCER_ENTRY, {
        workerData: data,
        transferList: [...(port ? [port] : []), data.indices.buffer],
        ...(o.lazy ? { resourceLimits: LAZY_PRODUCER_LIMITS } : {}),
      });
      workers.push(w);
      exits.push(once(w, 'exit').catch(() => undefined));
      const messages = (kind: ProducerToHarness['kind']) =>
        new Promise<ProducerToHarness>((resolve, reject) => {
          const onMsg = (m: ProducerToHarness) => {
            if (m.kind === kind) {
              w.off('message', onMsg);
              resolve(m);
            }
          };
          w.on('message', onMsg);
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`producer ${p} exited with code ${code} before '${kind}'`)));
        });
      ready.push(messages('ready'));
      done.push(messages('done') as Promise<ProducerToHarness & { kind: 'done' }>);
    }
    await Promise.all(ready);
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    await funnel?.close();
    throw err;
  }

  const t0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  const rssSamples: RssSample[] = [];
  let peakAnonMb: number | null = null;
  let lastSampleAt = -Infinity;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const at = performance.now() - t0;
    if (o.rssSampleMs && at - lastSampleAt >= o.rssSampleMs) {
      lastSampleAt = at;
      const m = memoryBreakdown();
      if (m.anonMb !== null) peakAnonMb = Math.max(peakAnonMb ?? 0, m.anonMb);
      rssSamples.push({ atMs: Math.round(at), ...m });
    }
  }, 50);
  const cpu0 = process.cpuUsage();
  const threads0 = threadSnapshot();
  for (const w of workers) w.postMessage({ kind: 'go' } satisfies HarnessToProducer);
  const results = await Promise.all(done);
  // The clock stops when every batch is acked (committed), as the ceiling's stops at its last COMMIT; the
  // manager's shutdown (final checkpoint, threads joined) is reported apart as closeSeconds.
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const threads = threads0 && threadReport(threads0, threadSnapshot(), results, funnel?.info?.osThreadId ?? null);
  let writerMetrics: Awaited<ReturnType<LockOptimizedDatabaseManager['getLockContentionMetrics']>> | undefined;
  const c0 = performance.now();
  if (funnel) {
    writerMetrics = await funnel.getLockContentionMetrics();
    await funnel.close();
  }
  const closeSeconds = (performance.now() - c0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  await Promise.all(exits);

  const db = new Database(o.dbPath, { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
  const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown';
  const journalMode = db.pragma('journal_mode', { simple: true }) as string;
  db.close();

  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0);
  const lockErrors = writerMetrics ? writerMetrics.lockErrors : sum((r) => r.direct?.lockErrors ?? 0);
  const busyRetries = writerMetrics ? writerMetrics.busyRetries : sum((r) => r.direct?.busyRetries ?? 0);
  return {
    manager: o.manager,
    collectors: o.collectors,
    collectorNice,
    offered: o.trades,
    unique,
    stored,
    inserted: sum((r) => r.inserted),
    duplicatesSeen: sum((r) => r.duplicates),
    rejected: sum((r) => r.rejected),
    failedBatches: sum((r) => r.failedBatches),
    lockErrors,
    busyRetries,
    transactions: writerMetrics ? writerMetrics.operations : sum((r) => r.direct?.operations ?? 0),
    integrity,
    journalMode,
    seconds: round(seconds, 3),
    closeSeconds: round(closeSeconds, 3),
    rowsPerSec: Math.round(o.trades / seconds),
    batchLatencyMs: roundSummary(summarize(results.flatMap((r) => r.latencySamples)), 2),
    peakRssMb: round(peakRss / 2 ** 20, 1),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
    ...(o.rssSampleMs ? { rssSamples, peakAnonMb } : {}),
    threads,
  };
}

/** Producers measure themselves (they may be gone by the second snapshot); every other thread from the snapshots. */
function threadReport(
  before: Map<number, ThreadTimes>,
  after: Map<number, ThreadTimes> | null,
  results: readonly (ProducerToHarness & { kind: 'done' })[],
  writerTid: number | null,
): ThreadReport | null {
  if (!after || results.some((r) => !r.thread)) return null;
  const producerIds = new Set(results.map((r) => r.thread!.tid));
  const between = (tid: number) => timesBetween(before.get(tid) ?? NO_TIMES, after.get(tid) ?? NO_TIMES);
  const others: ThreadTimes[] = [];
  for (const tid of after.keys()) {
    if (tid === process.pid || tid === writerTid || producerIds.has(tid)) continue;
    const t = between(tid);
    if (t.cpuMs > 0) others.push(t);
  }
  return {
    main: between(process.pid),
    producers: sumTimes(results.map((r) => r.thread!.times)),
    writer: writerTid !== null && after.has(writerTid) ? between(writerTid) : null,
    others: others.sort((a, b) => b.cpuMs - a.cpuMs),
  };
}
