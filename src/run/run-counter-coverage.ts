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
import { CounterHorizon } from './counter-horizon.ts';
import { CounterSampler } from './counter-samples.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';
import type { RunMonitor } from './run-monitor.ts';
import type { RunPools } from './run-pools.ts';

export interface CounterCoverage {
  readonly sampler: CounterSampler;
  /** A fill stored trades into the pool's past: its stored counts are read again, its frozen part takes them off. */
  forget(poolId: string, fill?: { fromMs: number; toMs: number; stored: number }): void;
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
  const cache = new StoredCountCache();
  const horizon = new CounterHorizon(ctx.runStartedAt);
  const update = () => {
    running = running
      .then(async () => {
        const estimates = await counterEstimates(
          db.reads,
          monitor.spans(),
          (id) => sampler.samplesOf(id),
          cache,
          horizon,
          ctx.log,
        );
        monitor.noteCounterEstimates(estimates);
        // A long run keeps what the next rounds' fits reach, and no more.
        sampler.prune((endMs) => horizon.keeps(endMs));
        cache.prune(horizon.readFromMs);
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
    forget: (poolId, fill) => {
      cache.forget(poolId);
      if (fill) horizon.noteFilled(poolId, fill.fromMs, fill.toMs, fill.stored);
    },
    async finish() {
      await sampler.stop();
      if (!sampler.answered) return;
      // A stop does not wait long for a slot of a small budget (30 s at 2 calls/min): the last reads stand then.
      if (ctx.limiter.msToNextSlot() <= FINAL_READ_MAX_WAIT_MS)
        // Bounded: the end of a run waits for this read, not for its retries against an API that stopped answering.
        await sampler.sampleNow(AbortSignal.timeout(ctx.settings.responseLimits.timeoutMs));
      await update();
    },
  };
  // A run that ends early (start-up failure) stops the reads with everything else.
  ctx.disposer.push(sampler, (s) => s.stop());
  return coverage;
}

/** The longest a run's end waits for the shared limit's next slot to read the counters once more. */
const FINAL_READ_MAX_WAIT_MS = 2000;

/** Stored trades of a second no later poll can add to: a minute before the pool's last answer. */
const settledBefore = (p: PoolRunSpan) => p.lastPollMs - 60_000;

/**
 * Stored counts already read, per pool and interval: a long run's rounds read only the intervals new cuts made.
 * Only settled intervals are kept; a pool's are dropped when a fill stored trades into its past.
 */
export class StoredCountCache {
  private readonly byPool = new Map<string, Map<string, number>>();

  forget(poolId: string): void {
    this.byPool.delete(poolId);
  }

  /** Drops the intervals that end before `beforeMs` (no later fit reads them). */
  prune(beforeMs: number): void {
    for (const known of this.byPool.values())
      for (const key of known.keys()) if (Number(key.slice(key.indexOf(':') + 1)) < beforeMs) known.delete(key);
  }

  /** Intervals kept, over every pool. */
  get size(): number {
    let n = 0;
    for (const known of this.byPool.values()) n += known.size;
    return n;
  }

  /** The stored counts between consecutive `breaks` (as CollectionReads.storedCountsIn). */
  async counts(
    reads: Pick<CollectionReads, 'storedCountsIn'>,
    poolId: string,
    breaks: readonly number[],
    settledMs: number,
  ): Promise<number[]> {
    const known = this.byPool.get(poolId) ?? new Map<string, number>();
    this.byPool.set(poolId, known);
    const out = new Array<number>(Math.max(0, breaks.length - 1)).fill(0);
    const missing: { j: number; range: [number, number] }[] = [];
    for (let j = 0; j + 1 < breaks.length; j++) {
      const hit = known.get(`${breaks[j]}:${breaks[j + 1]}`);
      if (hit === undefined) missing.push({ j, range: [breaks[j]!, breaks[j + 1]!] });
      else out[j] = hit;
    }
    const found = await reads.storedCountsIn(
      poolId,
      missing.map((m) => m.range),
    );
    missing.forEach((m, i) => {
      out[m.j] = found[i] ?? 0;
      if (m.range[1] <= settledMs) known.set(`${m.range[0]}:${m.range[1]}`, out[m.j]!);
    });
    return out;
  }
}

/**
 * Per pool: the counter-based estimate, for the pools that have samples (or a frozen part) and two polls. The fit
 * covers the horizon only (gaps read from its reach); the part before it is the horizon's frozen part.
 */
export async function counterEstimates(
  reads: Pick<CollectionReads, 'gapsSince' | 'storedCountsIn'>,
  pools: readonly PoolRunSpan[],
  samplesOf: (poolId: string) => readonly CounterSample[],
  cache: StoredCountCache,
  horizon: CounterHorizon,
  log?: Logger,
): Promise<Map<string, PoolCounterEstimate>> {
  const out = new Map<string, PoolCounterEstimate>();
  const ready = pools.filter(
    (p) =>
      p.firstPollMs > 0 && p.lastPollMs > p.firstPollMs && (samplesOf(p.poolId).length > 0 || horizon.has(p.poolId)),
  );
  if (ready.length === 0) return out;
  let newestMs = Number.NEGATIVE_INFINITY;
  for (const p of ready) for (const s of samplesOf(p.poolId)) newestMs = Math.max(newestMs, s.endMs);
  horizon.begin(newestMs);
  const gapsByPool = new Map<string, RecordedGap[]>();
  for (const g of await reads.gapsSince(horizon.readFromMs)) {
    const list = gapsByPool.get(g.poolId) ?? [];
    list.push(g);
    gapsByPool.set(g.poolId, list);
  }
  for (const p of ready) {
    const input = horizon.trim(p.poolId, {
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
    });
    const bins = poolBins(input.samples);
    if (bins.length === 0 && !horizon.has(p.poolId)) continue;
    const cuts = cutPoints(input, bins);
    const breaks = secondBreaks(cuts);
    const counts = await cache.counts(reads, p.poolId, breaks, settledBefore(p));
    const fit = estimatePoolMissed(input, bins, cuts, storedPerPiece(cuts, breaks, counts));
    const estimate = horizon.settle(p.poolId, fit);
    log?.debug(
      { pool: p, samples: input.samples.length, pieces: cuts.length - 1, gaps: input.gaps.length, estimate },
      'counter-based coverage',
    );
    out.set(p.poolId, estimate);
  }
  horizon.end();
  return out;
}
