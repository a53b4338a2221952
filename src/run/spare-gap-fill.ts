// With a key, a collection run fills the gaps its collectors record, from spare budget only: every call takes a
// low-priority slot (SharedRateLimiter.trySpare), granted only when the live polls have left the budget unused
// for a while, so they always come first. A gap is filled from the range endpoint as `backfill` does (span-fill.ts)
// and marked filled through the funnel; one the fill could not complete keeps its reason and is not retried
// this run (`backfill` takes it up).

import { abortableSleep } from '../common/abortable-sleep.ts';
import { timestampMs } from '../common/stored-time.ts';
import { addFigures, emptyFigures, fillSpan, type SpanFigures } from '../fill/span-fill.ts';
import { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { GeckoAuthError } from '../gecko/gecko-errors.ts';
import { DEFAULT_RANGE_PAGE_SIZE } from '../gecko/range-requests.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import type { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import type { OpenGap } from '../storage/fill-reads.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';
import { poolIdParts } from '../trades/pool-id.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';

/** How often the store is asked for new gaps when none is being filled. */
const SCAN_EVERY_MS = 5000;

/** A gap filled (or partly): its estimated missed trades found, the trades stored by the fill, the gap's span (ms). */
export type OnGapFilled = (
  poolId: string,
  recoveredMissed: number,
  storedTrades: number,
  span: { fromMs: number; toMs: number },
) => void;

export interface SpareGapFillFigures extends SpanFigures {
  gapsFilled: number;
  gapsFailed: number;
}

/** A limiter that grants only spare slots of `shared`, waiting (polling) until one is. */
export function spareLimiter(shared: SharedRateLimiter): RateLimiter {
  const pollMs = Math.max(100, Math.min(1000, shared.settings.intervalMs / 2));
  return {
    async acquire(signal) {
      while (!shared.trySpare()) await abortableSleep(pollMs, signal);
    },
    pause: (ms) => shared.pause(ms),
  };
}

export class SpareGapFill {
  readonly figures: SpareGapFillFigures = { ...emptyFigures(), gapsFilled: 0, gapsFailed: 0 };
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private readonly watch: NodeJS.Timeout;
  /** Gaps tried this run (filled or failed): not asked again. */
  private readonly tried = new Set<string>();

  constructor(
    private readonly ctx: RunContext,
    private readonly api: RunApi,
    private readonly write: NonNullable<RunDatabase['write']>,
    private readonly poolIds: readonly string[],
    private readonly onFilled?: OnGapFilled,
  ) {
    this.watch = setInterval(() => {
      if (ctx.stopper.stopping) this.abort.abort();
    }, 200);
    this.watch.unref();
    this.loop = this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) ctx.log.warn({ err }, 'gap fill from spare budget stopped');
    });
  }

  private async run(): Promise<void> {
    const { ctx, api } = this;
    const signal = this.abort.signal;
    const client = new GeckoTerminalClient({
      rateLimiter: spareLimiter(ctx.limiter),
      baseUrl: api.baseUrl,
      ...(api.apiKey ? { apiKey: api.apiKey } : {}),
      ...ctx.settings.responseLimits,
      logger: ctx.log.child({ component: 'gap-fill' }),
    });
    const url = ctx.settings.dbConfig.url!;
    while (!signal.aborted) {
      const reads = await openFillReads(url);
      let gaps: OpenGap[];
      try {
        gaps = (await reads.openGaps(this.poolIds)).filter((g) => !this.tried.has(key(g)));
      } finally {
        await reads.close();
      }
      for (const g of gaps) {
        if (signal.aborted) return;
        this.tried.add(key(g));
        await this.fill(client, g, signal);
      }
      if (gaps.length === 0) await abortableSleep(SCAN_EVERY_MS, signal).catch(() => undefined);
    }
  }

  private async fill(client: GeckoTerminalClient, g: OpenGap, signal: AbortSignal): Promise<void> {
    const r = await fillSpan(
      {
        poolId: g.poolId,
        ...poolIdParts(g.poolId),
        startSec: Math.floor(timestampMs(g.gapStart) / 1000),
        endSec: Math.ceil(timestampMs(g.gapEnd) / 1000),
      },
      {
        client,
        write: this.write,
        pageSize: DEFAULT_RANGE_PAGE_SIZE,
        ...(this.ctx.options.minVolumeUsd !== undefined ? { minVolumeUsd: this.ctx.options.minVolumeUsd } : {}),
        signal,
      },
    ).catch((err: unknown) => {
      if (signal.aborted) return undefined;
      if (err instanceof GeckoAuthError) {
        // The plan has no range endpoint: nothing to fill from this run.
        this.ctx.log.warn({ err: err.message }, 'gap fill stopped: the range endpoint needs Analyst or above');
        this.abort.abort();
        return undefined;
      }
      throw err;
    });
    if (!r) return;
    addFigures(this.figures, r);
    await this.write({
      gapFills: [
        {
          poolId: g.poolId,
          gapStart: g.gapStart,
          gapEnd: g.gapEnd,
          filledAt: r.error === undefined ? new Date().toISOString() : null,
          filledTrades: g.filledTrades + r.inserted,
          fillError: r.error ?? null,
        },
      ],
    });
    if (r.error === undefined) this.figures.gapsFilled++;
    else this.figures.gapsFailed++;
    // The run's coverage: a gap filled whole lost nothing; one filled in part lost its estimate less what was found.
    // Only this run's gaps are in its coverage (an earlier run's open gap is filled too).
    const estimate = timestampMs(g.detectedAt) >= this.ctx.runStartedAt ? (g.estimatedMissed ?? 0) : 0;
    this.onFilled?.(g.poolId, r.error === undefined ? estimate : Math.min(estimate, r.inserted), r.inserted, {
      fromMs: timestampMs(g.gapStart),
      toMs: timestampMs(g.gapEnd) + 1000,
    });
  }

  /** Stops asking, waits for the answer in flight to be stored. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.watch);
    await this.loop;
    if (this.figures.calls > 0) this.ctx.log.info({ ...this.figures }, 'gaps filled from spare budget');
  }
}

const key = (g: OpenGap) => `${g.poolId}\u0001${g.gapStart}\u0001${g.gapEnd}`;

/**
 * Starts the spare-budget gap fill of a run when it can have one: a key, the funnel, no in-process simulator (its
 * end-of-run check counts only what the collectors stored), and CollectionOptions.fillGaps not false.
 */
export function startSpareGapFill(
  ctx: RunContext,
  api: RunApi,
  db: RunDatabase,
  poolIds: readonly string[],
  onFilled?: OnGapFilled,
): SpareGapFill | undefined {
  if (!api.apiKey || api.simulator || !db.write || ctx.options.fillGaps === false) return undefined;
  return ctx.disposer.push(new SpareGapFill(ctx, api, db.write, poolIds, onFilled), (f) => f.stop());
}
