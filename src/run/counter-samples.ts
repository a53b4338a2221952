// The run's reads of its pools' own trade counters: every counterSampleMs (and once more at the end) one
// pools/multi call per 30 pools, from the run's one budget (the shared limiter, like every poll), each pool's
// `transactions` kept as a CounterSample for the counter-based coverage (counter-coverage.ts).

import { abortableSleep } from '../common/abortable-sleep.ts';
import { type CallStats, MAX_MULTI_POOLS } from '../gecko/gecko-client.ts';
import { metadataTransactions, transactionCounts } from '../gecko/pool-counters.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { CounterSample, CounterWindow } from './counter-coverage.ts';
import { COUNTER_WINDOWS_MS } from './counter-coverage.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';

/** Samples kept per pool: older ones reach no further back than the run's stored trades are read. */
const MAX_SAMPLES_PER_POOL = 2000;

/** A pool's counts of the coverage's windows (counter-coverage.ts) from its metadata JSON; undefined when none. */
export function counterCounts(metadataJson: string | null): CounterSample['counts'] | undefined {
  const all = transactionCounts(metadataTransactions(metadataJson));
  if (!all) return undefined;
  const out: CounterSample['counts'] = {};
  for (const w of Object.keys(COUNTER_WINDOWS_MS) as CounterWindow[]) if (all[w] !== undefined) out[w] = all[w];
  return Object.keys(out).length > 0 ? out : undefined;
}

export class CounterSampler {
  private readonly samples = new Map<string, CounterSample[]>();
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private readonly watch: NodeJS.Timeout;
  /** Reads that failed (counted, logged once). */
  failures = 0;
  calls = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly api: RunApi,
    private readonly pools: () => readonly PoolAssignment[],
    private readonly everyMs: number,
    private readonly onSampled: () => void,
  ) {
    this.watch = setInterval(() => {
      if (ctx.stopper.stopping) this.abort.abort();
    }, 200);
    this.watch.unref();
    if (ctx.stopper.stopping) this.abort.abort();
    this.loop = this.run();
  }

  /** Some read answered: a last one at the end is worth its call. */
  get answered(): boolean {
    return this.samples.size > 0;
  }

  samplesOf(poolId: string): readonly CounterSample[] {
    return this.samples.get(poolId) ?? [];
  }

  /** Keeps only the samples `keep` accepts (those a later fit still reads: the coverage's horizon). */
  prune(keep: (endMs: number) => boolean): void {
    for (const [poolId, list] of this.samples) {
      const kept = list.filter((s) => keep(s.endMs));
      if (kept.length < list.length) this.samples.set(poolId, kept);
    }
  }

  /** Keeps the counters of a pools answer served at `endMs` (the start's metadata, or a read of this sampler). */
  note(endMs: number, parsed: ParsedPools): void {
    const byAddress = new Map(parsed.pools.map((p) => [p.address, p]));
    for (const a of this.pools()) {
      const counts = counterCounts(byAddress.get(a.address)?.metadataJson ?? null);
      if (!counts) continue;
      const list = this.samples.get(a.poolId) ?? [];
      list.push({ endMs, counts });
      if (list.length > MAX_SAMPLES_PER_POOL) list.shift();
      this.samples.set(a.poolId, list);
    }
  }

  // The first read waits an interval: at the start the collectors' first polls need every slot, and the start's
  // metadata already carried the counters.
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await abortableSleep(this.everyMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      await this.sampleNow(signal);
      if (!signal.aborted) this.onSampled();
    }
  }

  /** One read of every pool's counters (the end of the run takes one more, after the collectors' last polls). */
  async sampleNow(signal?: AbortSignal): Promise<void> {
    const pools = this.pools();
    for (let i = 0; i < pools.length; i += MAX_MULTI_POOLS) {
      if (signal?.aborted) return;
      const chunk = pools.slice(i, i + MAX_MULTI_POOLS);
      const stats: CallStats = { requests: 0, throttled: 0 };
      try {
        const parsed = await this.api.client.getMultiPools(
          this.api.network,
          chunk.map((a) => a.address),
          { ...(signal ? { signal } : {}), stats },
        );
        this.calls += stats.requests;
        // A cached answer counted up to when it was made: its Age (whole seconds, so half a second more).
        this.note(Date.now() - (stats.ageMs === undefined ? 0 : stats.ageMs + 500), parsed);
      } catch (err) {
        this.calls += stats.requests;
        if (signal?.aborted) return;
        if (this.failures++ === 0)
          this.ctx.log.warn({ err }, 'pool counters not read: the coverage uses rate x span where they are missing');
      }
    }
  }

  /** Stops the periodic reads (the end's read is sampleNow without a signal). */
  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.watch);
    await this.loop;
  }
}
