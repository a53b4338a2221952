// A running collection as operators watch it: its API figures (overall and per pool) for /metrics, its health
// for /healthz, and the watch for refused credentials, which a collector reports through the shared counters.

import { allocate, BUDGET_SHARE, WINDOW_TRADES } from '../collector/schedule-allocation.ts';
import type { Logger } from '../logging/logger.ts';
import { evaluateHealth, type HealthReport } from '../monitoring/health.ts';
import type {
  CollectionFigures,
  CoverageFigures,
  PoolFigures,
  SchedulePlanFigures,
} from '../monitoring/metrics-snapshot.ts';
import type { CollectorCounters, PoolAssignment } from '../protocol/collector-task.ts';
import { PoolCounters } from '../protocol/pool-counters.ts';
import { PoolScheduleCells, type ScheduleSettings } from '../protocol/pool-schedule.ts';
import type { PoolCounterEstimate, PoolRunSpan } from './counter-coverage.ts';

/** A pool's missed trades are said to come from its counters when they reach this share of its gaps' estimate. */
const MIN_COUNTER_SHARE = 0.5;

// A refused key stops the run; a second's delay in noticing it costs at most a request or two.
const AUTH_WATCH_MS = 1000;

export interface RunMonitorOptions {
  counters: CollectorCounters;
  /** The pools the run holds now (the set may change while it runs), each with its slot as `index`. */
  pools: () => readonly PoolAssignment[];
  /** Slots of the per-pool counters: at least every slot a pool may take. */
  poolSlots: number;
  pollIntervalMs: number;
  schedule: ScheduleSettings;
  staleIntervals: number;
  /** The funnel's breaker state; undefined in direct mode. */
  breakerState: () => string | undefined;
  isStopping: () => boolean;
  /** Called once when a collector reports that the API refused the credentials. */
  onAuthRefused: (status: number) => void;
  log: Logger;
}

export class RunMonitor {
  readonly poolCounters: PoolCounters;
  /** Every pool's rate, interval and estimated missed trades, written by the collectors. */
  readonly scheduleCells: PoolScheduleCells;
  /** Epoch ms; reset when every collector is polling. */
  startedAt = Date.now();
  private authStatus: number | undefined;
  /** Per pool: what the run's gap fill found (estimated missed trades no longer missed, trades it stored). */
  private readonly filled = new Map<string, { missed: number; stored: number }>();
  /** Per pool: its counter-based estimate, and the gaps' estimate when it was made (newer gaps add on). */
  private readonly counted = new Map<string, { estimate: PoolCounterEstimate; gapMissedThen: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: RunMonitorOptions) {
    this.poolCounters = new PoolCounters(options.poolSlots);
    this.scheduleCells = new PoolScheduleCells(options.poolSlots);
    // A resumed pool's stored rate counts in the plan before its first poll.
    for (const [i, a] of options.pools().entries()) {
      if (!a.rate) continue;
      this.scheduleCells.set(a.index ?? i, 'rate', a.rate.tradesPerSecond);
      this.scheduleCells.set(a.index ?? i, 'known', 1);
    }
    this.timer = setInterval(() => this.checkAuth(), AUTH_WATCH_MS);
    this.timer.unref();
  }

  /** The HTTP status with which the API refused the credentials, if it did. */
  get authRefused(): number | undefined {
    this.checkAuth();
    return this.authStatus;
  }

  private checkAuth(): void {
    if (this.authStatus !== undefined) return;
    const { counters } = this.options;
    for (let slot = 0; slot < counters.slots; slot++) {
      const status = counters.read(slot).authRefused;
      if (status > 0) {
        this.authStatus = status;
        clearInterval(this.timer);
        this.options.onAuthRefused(status);
        return;
      }
    }
  }

  pools(): PoolFigures[] {
    return this.options.pools().map((a, i) => {
      const p = this.poolCounters.read(a.index ?? i);
      const c = this.scheduleCells.read(a.index ?? i);
      const f = this.filled.get(a.poolId);
      const gapMissed = Math.max(0, c.missed - (f?.missed ?? 0));
      const counted = this.counted.get(a.poolId);
      // Stored trades include those a fill found: the counters see them, so fills are not taken off again.
      const counterMissed = counted && counted.estimate.missed + Math.max(0, c.missed - counted.gapMissedThen);
      return {
        pool: a.poolId,
        polls: p.polls,
        requests: p.requests,
        throttled: p.throttled,
        errors: p.errors,
        stored: p.stored + (f?.stored ?? 0),
        rejected: p.rejected,
        lastSuccessAt: p.lastSuccessAt > 0 ? p.lastSuccessAt : null,
        estimatedRate: c.known ? c.rate : null,
        intervalMs: Math.round(c.intervalMs),
        estimatedMissed: Math.round(counterMissed ?? gapMissed),
        missedBasis: counterMissed === undefined ? 'gaps' : 'counters',
        estimatedMissedGaps: Math.round(gapMissed),
      };
    });
  }

  /** Each pool's span this run (first and last answer), for the counter-based coverage. */
  spans(): PoolRunSpan[] {
    return this.options.pools().map((a, i) => {
      const p = this.poolCounters.read(a.index ?? i);
      const c = this.scheduleCells.read(a.index ?? i);
      return {
        poolId: a.poolId,
        firstPollMs: p.firstSuccessAt,
        lastPollMs: p.lastSuccessAt,
        completeFromMs: p.completeFromMs,
        ratePerS: c.known ? c.rate : 0,
      };
    });
  }

  /** New counter-based estimates (run-counter-coverage.ts); a pool without one keeps rate × span. */
  noteCounterEstimates(estimates: ReadonlyMap<string, PoolCounterEstimate>): void {
    for (const [i, a] of this.options.pools().entries()) {
      const e = estimates.get(a.poolId);
      // Mostly outside the counters' reach, the figure is mostly rate × span: it is named so.
      if (!e || e.coveredShare < MIN_COUNTER_SHARE) continue;
      this.counted.set(a.poolId, { estimate: e, gapMissedThen: this.scheduleCells.read(a.index ?? i).missed });
    }
  }

  /** The run's gap fill found `missed` of a gap's estimated missed trades and stored `stored` trades. */
  noteFilled(poolId: string, missed: number, stored: number): void {
    const f = this.filled.get(poolId) ?? { missed: 0, stored: 0 };
    f.missed += missed;
    f.stored += stored;
    this.filled.set(poolId, f);
  }

  figures(): CollectionFigures {
    const c = this.options.counters.total();
    const pools = this.pools();
    return {
      startedAt: this.startedAt,
      pollIntervalMs: this.options.pollIntervalMs,
      collectorsRunning: c.running,
      polls: c.polls,
      requests: c.requests,
      throttled: c.throttled,
      succeeded: c.succeeded,
      pollErrors: c.errors,
      malformedResponses: c.badResponses,
      tradesFetched: c.fetched,
      tradesRejected: c.tradesRejected,
      repeats: c.repeats,
      gaps: c.gaps,
      pools,
      schedule: this.plan(),
      coverage: coverageOf(pools),
    };
  }

  /** The progress line's figures: the plan's need against the budget, and the coverage so far. */
  progressFigures(): {
    budget: { neededPerMin: number; budgetPerMin: number };
    coverage: ReturnType<typeof coverageOf>;
  } {
    const p = this.plan();
    return {
      budget: { neededPerMin: p.neededPerMin, budgetPerMin: p.budgetPerMin },
      coverage: coverageOf(this.pools()),
    };
  }

  /**
   * The budget plan over the pools this process polls (all of them before the collectors start, and on
   * SQLite), from the rates the collectors publish: the same arithmetic each collector plans with.
   */
  plan(): SchedulePlanFigures {
    const s = this.options.schedule;
    const demand: { rate: number | undefined }[] = [];
    const pools = this.options.pools();
    const anyActive = pools.some((a, i) => this.scheduleCells.read(a.index ?? i).active);
    for (const [i, a] of pools.entries()) {
      const c = this.scheduleCells.read(a.index ?? i);
      if (anyActive && !c.active) continue;
      demand.push({ rate: c.known ? c.rate : undefined });
    }
    const { plan } = allocate(demand, { ...s, mode: 'adaptive' });
    const fixedPerMin = s.mode === 'fixed' && s.pollIntervalMs > 0 ? (demand.length * 60_000) / s.pollIntervalMs : 0;
    return {
      mode: s.mode,
      neededPerMin: round1(plan.neededPerMin),
      budgetPerMin: s.callsPerMinute,
      plannedPerMin: round1(s.mode === 'fixed' ? Math.min(fixedPerMin, s.callsPerMinute) : plan.plannedPerMin),
      ratesKnown: demand.filter((d) => d.rate !== undefined).length,
      pools: demand.length,
      short: s.mode === 'fixed' ? fixedShort(demand, s, plan.neededPerMin) : roundShort(plan.short),
    };
  }

  health(): HealthReport {
    let last: number | null = null;
    for (const p of this.pools())
      if (p.lastSuccessAt !== null && (last === null || p.lastSuccessAt > last)) last = p.lastSuccessAt;
    return evaluateHealth({
      now: Date.now(),
      startedAt: this.startedAt,
      lastSuccessAt: last,
      pollIntervalMs: this.options.pollIntervalMs,
      staleIntervals: this.options.staleIntervals,
      breakerState: this.options.breakerState(),
      stopping: this.options.isStopping(),
    });
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The run's coverage: trades stored, plus those the pools probably missed, is what the pools made. */
export function coverageOf(pools: readonly PoolFigures[]): CoverageFigures {
  let stored = 0;
  let missed = 0;
  let missedGaps = 0;
  let counterPools = 0;
  for (const p of pools) {
    stored += p.stored;
    missed += p.estimatedMissed ?? 0;
    missedGaps += p.estimatedMissedGaps ?? p.estimatedMissed ?? 0;
    if (p.missedBasis === 'counters') counterPools++;
  }
  const basis = counterPools === 0 ? 'gaps' : counterPools === pools.length ? 'counters' : 'mixed';
  return { made: stored + missed, stored, missed, basis, missedGaps, counterPools };
}

function roundShort(short: SchedulePlanFigures['short']): SchedulePlanFigures['short'] {
  return short && { ...short, missedPerHour: Math.round(short.missedPerHour) };
}

/** What the fixed schedule loses: pools that make more than a window per interval (stretched by the budget). */
function fixedShort(
  demand: readonly { rate: number | undefined }[],
  s: ScheduleSettings,
  neededPerMin: number,
): SchedulePlanFigures['short'] {
  const everyMs = Math.max(s.pollIntervalMs, (demand.length * 60_000) / s.callsPerMinute);
  let pools = 0;
  let missedPerMs = 0;
  for (const d of demand) {
    const lost = (d.rate ?? 0) / 1000 - WINDOW_TRADES / everyMs;
    if (lost > ((d.rate ?? 0) / 1000) * 0.01) {
      pools++;
      missedPerMs += lost;
    }
  }
  return pools === 0
    ? null
    : {
        pools,
        missedPerHour: Math.round(missedPerMs * 3600_000),
        budgetToCover: Math.ceil(neededPerMin / BUDGET_SHARE),
      };
}
