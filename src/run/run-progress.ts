// A running collection as seen from outside: when every collector is polling (the start-up of threads is not
// counted in the run's duration), and the progress figures a caller polls or gets every interval.

import type { Logger } from '../logging/logger.ts';
import type { CollectorCounters, CounterSnapshot } from '../protocol/collector-task.ts';

export interface CollectionProgress {
  /** Since every collector began polling (0 while they start). */
  elapsedMs: number;
  /** Collector threads are still starting. */
  starting: boolean;
  collectors: number;
  pools: number;
  counters: CounterSnapshot;
  /** Repeats dropped by the overlap filter plus duplicates the store found. */
  duplicates: number;
  /** Batches waiting in the writer thread (funnel only). */
  writerBacklog: number;
  /** Trades stored per second, averaged over the last RATE_WINDOW_MS (a steady figure, not one interval's). */
  rowsPerSec: number;
  stopping: boolean;
  /** The /metrics URL when the run serves one (with the real port when 0 was asked). */
  metricsUrl?: string;
  /** Calls/min the pools need (the schedule's plan) against the budget. */
  budget?: { neededPerMin: number; budgetPerMin: number };
  /** Trades the pools made so far (estimated: stored plus estimated missed), stored, and estimated missed. */
  coverage?: { made: number; stored: number; missed: number };
}

/** The span the stored rate is averaged over. */
export const RATE_WINDOW_MS = 10_000;

export interface RunProgressOptions {
  /** performance.now() when the run was asked for. */
  launchedAt: number;
  counters: CollectorCounters;
  collectors: number;
  pools: number;
  /** The collectors' tasks: one ending early (a failure) ends the wait for all of them to poll. */
  runs: readonly Promise<unknown>[];
  isStopping: () => boolean;
  /** Batches waiting in the writer. */
  backlog: () => Promise<number>;
  metricsUrl: string | undefined;
  /** The budget and coverage figures, when the run has a schedule. */
  schedule?: () => Pick<CollectionProgress, 'budget' | 'coverage'>;
  log: Logger;
}

export class RunProgress {
  /** Resolves once every collector is polling (or one ended early, or a stop came first). */
  readonly ready: Promise<void>;
  private started: number;
  private isStarting = true;
  /** (time, stored) samples of the last RATE_WINDOW_MS, plus the one just before it. */
  private samples: { at: number; inserted: number }[] = [];
  private readyTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RunProgressOptions) {
    this.started = options.launchedAt;
    let anySettled = false;
    for (const r of options.runs)
      r.then(
        () => (anySettled = true),
        () => (anySettled = true),
      );
    // Starting a thread (compiling the worker graph) takes seconds: the duration counts from when every
    // collector is polling, so a short run is not mostly start-up.
    this.ready = new Promise<void>((resolve) => {
      const check = () => {
        if (options.isStopping() || anySettled || options.counters.total().running >= options.collectors) {
          clearInterval(this.readyTimer);
          if (this.isStarting) {
            this.isStarting = false;
            this.started = performance.now();
            options.log.info({ startupMs: Math.round(this.started - options.launchedAt) }, 'collectors running');
          }
          resolve();
        }
      };
      this.readyTimer = setInterval(check, 50);
      check();
    });
  }

  /** performance.now() when every collector was polling (the launch time until then). */
  get startedAt(): number {
    return this.started;
  }

  async progress(): Promise<CollectionProgress> {
    const { counters, backlog, collectors, pools, metricsUrl } = this.options;
    const stopping = this.options.isStopping();
    const c = counters.total();
    const now = performance.now();
    const rowsPerSec = this.averageRate(now, c.inserted);
    const writerBacklog = stopping ? 0 : await backlog().catch(() => 0);
    return {
      elapsedMs: this.isStarting ? 0 : now - this.started,
      starting: this.isStarting,
      collectors,
      pools,
      counters: c,
      duplicates: c.repeats + c.storeDuplicates,
      writerBacklog,
      rowsPerSec,
      stopping,
      ...(metricsUrl ? { metricsUrl } : {}),
      ...this.options.schedule?.(),
    };
  }

  /** Stored rows a second over the last RATE_WINDOW_MS (since the start while shorter). */
  private averageRate(now: number, inserted: number): number {
    if (this.isStarting) return 0;
    if (this.samples.length === 0) this.samples.push({ at: this.started, inserted: 0 });
    this.samples.push({ at: now, inserted });
    while (this.samples.length > 2 && this.samples[1]!.at <= now - RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.at) / 1000;
    return dt > 0 ? (inserted - first.inserted) / dt : 0;
  }

  /** Hands `onProgress` a fresh progress every `intervalMs` until dispose(). */
  report(onProgress: (progress: CollectionProgress) => void, intervalMs: number): void {
    this.reportTimer = setInterval(() => {
      this.progress().then(onProgress, (err: unknown) => this.options.log.debug({ err }, 'progress failed'));
    }, intervalMs);
  }

  dispose(): void {
    clearInterval(this.readyTimer);
    clearInterval(this.reportTimer);
  }
}
