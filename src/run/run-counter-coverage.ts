// The counter-based coverage of a run's pools: each pool's counter samples, its gaps of this run and its stored
// trades per second near every cut (read from the store), through counter-coverage.ts. Run after each round of
// samples and once at the end; a pool without samples or without a first poll keeps rate x span.

import type { Logger } from '../logging/logger.ts';
import type { CollectionReads, RecordedGap } from '../storage/collection-reads.ts';
import {
  type CounterSample,
  cutPoints,
  estimatePoolMissed,
  type PoolCounterEstimate,
  type PoolRunSpan,
  poolBins,
  secondBreaks,
  storedPerPiece,
} from './counter-coverage.ts';
import { CounterSampler } from './counter-samples.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';
import type { RunMonitor } from './run-monitor.ts';
import type { RunPools } from './run-pools.ts';

export interface CounterCoverage {
  readonly sampler: CounterSampler;
  /** The end: one more read after the collectors' last polls, and the estimates from every read. */
  finish(): Promise<void>;
}

/** Starts the counter reads (unless counterSampleMs is 0); each round of reads updates the monitor's estimates. */
export function startCounterCoverage(
  ctx: RunContext,
  api: RunApi,
  db: RunDatabase,
  pools: RunPools,
  monitor: RunMonitor,
): CounterCoverage | undefined {
  const everyMs = ctx.settings.counterSampleMs;
  // The counters count every trade; with a volume floor the store holds only those above it, so every bin would
  // show an excess that no gap holds.
  if (!(everyMs > 0) || ctx.options.minVolumeUsd !== undefined) return undefined;
  let running: Promise<void> = Promise.resolve();
  const update = () => {
    running = running
      .then(async () => {
        monitor.noteCounterEstimates(
          await counterEstimates(db.reads, ctx.runStartedAt, monitor.spans(), (id) => sampler.samplesOf(id), ctx.log),
        );
      })
      .catch((err: unknown) => ctx.log.warn({ err }, 'counter-based coverage not computed; rate x span stands'));
    return running;
  };
  const sampler = new CounterSampler(
    ctx,
    api,
    () => pools.poolSet.assignments(),
    everyMs,
    () => void update(),
  );
  if (pools.startCounters) sampler.note(pools.startCounters.atMs, pools.startCounters.metadata);
  const coverage: CounterCoverage = {
    sampler,
    async finish() {
      await sampler.stop();
      if (!sampler.answered) return;
      // Bounded: the end of a run waits for this read, not for its retries against an API that stopped answering.
      await sampler.sampleNow(AbortSignal.timeout(ctx.settings.responseLimits.timeoutMs));
      await update();
    },
  };
  // A run that ends early (start-up failure) stops the reads with everything else.
  ctx.disposer.push(sampler, (s) => s.stop());
  return coverage;
}

/** Per pool: the counter-based estimate, for the pools that have samples and two polls. */
export async function counterEstimates(
  reads: CollectionReads,
  sinceMs: number,
  pools: readonly PoolRunSpan[],
  samplesOf: (poolId: string) => readonly CounterSample[],
  log?: Logger,
): Promise<Map<string, PoolCounterEstimate>> {
  const out = new Map<string, PoolCounterEstimate>();
  const ready = pools.filter((p) => p.firstPollMs > 0 && p.lastPollMs > p.firstPollMs && samplesOf(p.poolId).length);
  if (ready.length === 0) return out;
  const gapsByPool = new Map<string, RecordedGap[]>();
  for (const g of await reads.gapsSince(sinceMs)) {
    const list = gapsByPool.get(g.poolId) ?? [];
    list.push(g);
    gapsByPool.set(g.poolId, list);
  }
  for (const p of ready) {
    const input = {
      samples: samplesOf(p.poolId),
      // A gap's trades lie after its cursor trade and before the answer's oldest: within their whole seconds.
      gaps: (gapsByPool.get(p.poolId) ?? []).map((g) => ({
        fromMs: g.fromMs,
        toMs: g.toMs + 1000,
        estimated: g.estimatedMissed,
      })),
      firstPollMs: p.firstPollMs,
      lastPollMs: p.lastPollMs,
      completeFromMs: p.completeFromMs < 0 ? Number.NEGATIVE_INFINITY : p.completeFromMs,
      ratePerS: p.ratePerS,
    };
    const bins = poolBins(input.samples);
    if (bins.length === 0) continue;
    const cuts = cutPoints(input, bins);
    const breaks = secondBreaks(cuts);
    const counts = await reads.storedCountsBetween(p.poolId, breaks);
    const estimate = estimatePoolMissed(input, bins, cuts, storedPerPiece(cuts, breaks, counts));
    log?.debug({ pool: p, samples: input.samples, gaps: input.gaps.length, estimate }, 'counter-based coverage');
    out.set(p.poolId, estimate);
  }
  return out;
}
