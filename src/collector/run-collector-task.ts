// The body of one collector thread (workers/collector-thread.ts runs it under piscina): builds the client on the
// shared rate limit, the store its entry opens (own writer port, or direct), the batch processor (or, batching off, one write
// per poll) and the poller; runs until the stop flag is set; returns only after everything it sent is committed.

import { TradeDataBatchProcessor } from '../batch/trade-data-batch-processor.ts';
import { linkSignals } from '../common/linked-signal.ts';
import { DEFAULT_COLLECTOR_NICE, lowerThisThreadPriority } from '../common/thread-priority.ts';
import { DEFAULT_MAX_SHARED_PAUSE_MS, GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { componentLogger } from '../logging/logger.ts';
import {
  CollectorCounters,
  type CollectorResult,
  type CollectorTask,
  type PoolControlMessage,
  type PoolControlReply,
  PoolLeaseCells,
  StopFlag,
} from '../protocol/collector-task.ts';
import { PoolCounters } from '../protocol/pool-counters.ts';
import { PoolScheduleCells } from '../protocol/pool-schedule.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import type { CollectorStore } from './collector-store.ts';
import { PoolPoller, type TradeSubmitter } from './pool-poller.ts';
import { UnbatchedTradeSubmitter } from './unbatched-trade-submitter.ts';

// The shared counters are read for progress (every second at most) and read exactly at the end.
const COUNTER_SYNC_MS = 1000;
const DEFAULT_STOP_GRACE_MS = 10_000;

/** The shared budget, but a wait for a slot ends at once on stop (nothing has been sent yet then). */
function stopAwareLimiter(limiter: SharedRateLimiter, stop: AbortSignal): RateLimiter {
  return {
    acquire: async (signal?: AbortSignal) => {
      const linked = linkSignals([signal, stop]);
      try {
        return await limiter.acquire(linked.signal);
      } finally {
        linked.dispose();
      }
    },
    pause: (ms: number) => limiter.pause(ms),
  };
}

/** Opens where this collector's trades and cursors go: its writer link (funnel) or its own connection (direct). */
export type OpenCollectorStore = (task: CollectorTask) => Promise<CollectorStore>;

export async function runCollectorTask(task: CollectorTask, openStore: OpenCollectorStore): Promise<CollectorResult> {
  const slot = task.collectorId;
  const log = componentLogger('collector', { collectorId: slot });
  const priority = lowerThisThreadPriority(task.nice ?? DEFAULT_COLLECTOR_NICE);
  if (priority.applied) log.debug({ nice: priority.nice }, 'collector thread priority set');
  else log.info({ nice: priority.nice, reason: priority.reason }, 'collector thread keeps the process priority');
  const counters = new CollectorCounters(0, task.countersBuffer);
  const poolCounters = task.poolCountersBuffer ? new PoolCounters(0, task.poolCountersBuffer) : undefined;
  const stopFlag = new StopFlag(task.stopBuffer);
  const stop = stopFlag.watch();
  // Requests already on the wire at stop get a grace period: the server counted their trades as served.
  const grace = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = () => {
    graceTimer = setTimeout(
      () => grace.abort(new Error('stop grace period over')),
      task.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    );
  };
  stop.signal.addEventListener('abort', onStop, { once: true });

  const limiter = SharedRateLimiter.fromShared(task.rateLimiterBuffer);
  const client = new GeckoTerminalClient({
    rateLimiter: stopAwareLimiter(limiter, stop.signal),
    baseUrl: task.baseUrl,
    ...(task.apiKey ? { apiKey: task.apiKey } : {}),
    logger: log,
    ...(task.userAgent ? { userAgent: task.userAgent } : {}),
    ...task.responseLimits,
    // A throttle of one pool holds the others off for at most one poll interval (fair polling).
    maxSharedPauseMs: Math.min(DEFAULT_MAX_SHARED_PAUSE_MS, task.pollIntervalMs),
    ...(task.maxClockSkewMs !== undefined ? { maxClockSkewMs: task.maxClockSkewMs } : {}),
  });

  let store: CollectorStore | undefined;
  // The batch processor, or (batching: false, the rollback switch) one store write per poll.
  let processor: (TradeSubmitter & { close(): Promise<void> }) | undefined;
  let storeStats: () => { inserted: number; duplicates: number; rejected: number; writes: number } = () => ({
    inserted: 0,
    duplicates: 0,
    rejected: 0,
    writes: 0,
  });
  const sync = () => {
    const c = client.getStats();
    counters.set(slot, 'requests', c.requests);
    counters.set(slot, 'throttled', c.throttled);
    counters.set(slot, 'succeeded', c.succeeded);
    const p = storeStats();
    counters.set(slot, 'inserted', p.inserted);
    counters.set(slot, 'storeDuplicates', p.duplicates);
    counters.set(slot, 'rejected', p.rejected);
    counters.set(slot, 'tradeWrites', p.writes);
  };
  const ticker = setInterval(sync, COUNTER_SYNC_MS);
  // Closed once: after the poller ends, or on the way out when it failed.
  let processorClosed: Promise<void> | undefined;
  const closeProcessor = () =>
    (processorClosed ??= (processor?.close() ?? Promise.resolve()).catch((err: unknown) =>
      log.error({ err }, 'batch processor close failed'),
    ));
  try {
    store = await openStore(task);
    if (task.batching === false) {
      const unbatched = new UnbatchedTradeSubmitter(store.trades, task.maxInFlight);
      processor = unbatched;
      storeStats = () => unbatched.getStats();
    } else {
      const batcher = new TradeDataBatchProcessor(store.trades, task.batch, { name: `collector-${slot}` });
      processor = batcher;
      storeStats = () => {
        const p = batcher.getStats();
        return { inserted: p.inserted, duplicates: p.duplicates, rejected: p.rejected, writes: p.totalBatches };
      };
    }
    const sink = store;
    const poller = new PoolPoller({
      client,
      network: task.network,
      pools: task.pools,
      pollIntervalMs: task.pollIntervalMs,
      msToNextSlot: () => limiter.msToNextSlot(),
      limiterGrants: () => limiter.grants(),
      ...(task.schedule ? { schedule: task.schedule } : {}),
      ...(task.scheduleBuffer ? { scheduleCells: new PoolScheduleCells(task.scheduleBuffer) } : {}),
      ...(task.maxClockSkewMs !== undefined ? { window: { maxClockSkewMs: task.maxClockSkewMs } } : {}),
      ...(task.minVolumeUsd !== undefined ? { minVolumeUsd: task.minVolumeUsd } : {}),
      trades: processor,
      state: {
        writeState: async (update) => {
          await sink.writeState(update);
          counters.add(slot, 'stateWrites');
        },
      },
      counters: { add: (name, n) => counters.add(slot, name, n) },
      ...(poolCounters ? { poolCounters } : {}),
      // No poll can succeed with refused credentials: every collector stops now, and the run says why.
      onAuthRefused: (err) => {
        counters.set(slot, 'authRefused', err.status);
        stopFlag.stop();
      },
      logger: log,
      ...(task.leases ? { leases: new PoolLeaseCells(task.leases.cells) } : {}),
      ...(task.poolControl ? { openSet: true } : {}),
    });
    // Pools shared through leases, or of a set that changes, arrive and leave on the control port while it runs.
    const control = task.leases?.control ?? task.poolControl;
    let controlClosed = false;
    control?.on('message', (m: PoolControlMessage) => {
      if (m.kind === 'assign') return poller.addPools(m.pools);
      // Told once these pools have no request left, so the main thread gives their leases up only then.
      void poller.removePools(m.poolIds).then(() => {
        if (!controlClosed) control.postMessage({ kind: 'revoked', poolIds: m.poolIds } satisfies PoolControlReply);
      });
    });
    log.info(
      {
        pools: task.pools.length,
        manager: task.manager,
        batching: task.batching !== false,
        pollIntervalMs: task.pollIntervalMs,
        schedule: task.schedule?.mode ?? 'fixed',
      },
      'collector started',
    );
    counters.set(slot, 'running', 1);
    try {
      await poller.run(stop.signal, grace.signal);
    } finally {
      counters.set(slot, 'running', 0);
      controlClosed = true;
      control?.close();
    }
    // Failed batches were already counted and rolled back per poll; close only has to flush the rest.
    await closeProcessor();
    sync();
    const lockMetrics = await store.lockMetrics();
    const result: CollectorResult = { collectorId: slot, counters: counters.read(slot) };
    if (lockMetrics) result.lockMetrics = lockMetrics;
    log.info({ ...result.counters }, 'collector stopped');
    return result;
  } finally {
    clearInterval(ticker);
    clearTimeout(graceTimer);
    stop.signal.removeEventListener('abort', onStop);
    stop.dispose();
    // Every send is awaited before the task returns: piscina would freeze work left running after it.
    await closeProcessor();
    await store?.close().catch((err: unknown) => log.error({ err }, 'store close failed'));
  }
}
