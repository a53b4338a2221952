// When a collector thread polls each of its pools next: a fixed interval (`--schedule fixed`), or the adaptive
// schedule: each pool's rate estimate (rate-estimate.ts), published in the shared cells so that every thread
// plans over every pool of the process against the one budget (schedule-allocation.ts), and the interval that
// plan gives each of this thread's pools. Also what a gap probably cost (gap-estimate.ts).

import { timestampMs } from '../common/stored-time.ts';
import type { TradesPage } from '../gecko/trade-parser.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import { PoolScheduleCells, type ScheduleSettings } from '../protocol/pool-schedule.ts';
import { gapMissed } from './gap-estimate.ts';
import { UnusedBudget } from './poll-pick.ts';
import { RateEstimate, type RateObservation } from './rate-estimate.ts';
import { allocate, type BudgetPlan, type PoolDemand, WINDOW_TRADES } from './schedule-allocation.ts';
import type { WindowResult } from './trade-window.ts';

interface Entry {
  slot: number;
  estimate: RateEstimate;
  /** Its rate is still the API counters' prior (PoolAssignment.priorRate): no answer yet. */
  seeded: boolean;
  /** When its previous answer was served (ms), once it had one this run. */
  servedAtMs: number;
}

/** What one answer told the schedule. */
export interface ObservedAnswer {
  /** The rate after it (trades/s). */
  rate: number;
  /** The interval the pool now gets (ms). */
  intervalMs: number;
  /** Trades the answer's gap probably held (0 without a gap). */
  estimatedMissed: number;
}

export class PollSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly cells: PoolScheduleCells;
  private readonly shared: boolean;
  /** Slots for pools without a run index (a poller used on its own), past the shared ones. */
  private nextLocalSlot: number;
  private intervals = new Map<number, number>();
  private lastPlan: BudgetPlan | undefined;
  /** Budget the shared limit left unused lately (noteGrants), for spareSlot. */
  private unused: UnusedBudget | undefined;

  constructor(
    readonly settings: ScheduleSettings,
    cells?: PoolScheduleCells,
  ) {
    this.shared = cells !== undefined;
    this.cells = cells ?? new PoolScheduleCells(64);
    this.nextLocalSlot = this.shared ? this.cells.slots : 0;
  }

  /** Every pool `ms` after its previous answer. */
  static fixed(ms: number): ScheduleSettings {
    return {
      mode: 'fixed',
      pollIntervalMs: ms,
      minPollIntervalMs: 0,
      maxPollIntervalMs: ms,
      priority: 'trades',
      callsPerMinute: 60,
    };
  }

  /**
   * An answer's figures to the estimate and the plan; the rate and interval go with the cursor, the estimated
   * missed trades with the gap (both in `result`). `sentAt`: when the request left.
   */
  answer(poolId: string, page: TradesPage, result: WindowResult, nowMs: number, sentAt: number): ObservedAnswer {
    let oldestMs = Number.NaN;
    let newestMs = Number.NaN;
    const times = page.trades.map((t) => timestampMs(t.blockTimestamp));
    for (const ms of times) {
      if (!(ms >= oldestMs)) oldestMs = ms;
      if (!(ms <= newestMs)) newestMs = ms;
    }
    // Whole-second stamps: the trades of the oldest trade's second, and those after it.
    const oldestSecond = Math.floor(oldestMs / 1000) * 1000;
    const newerCount = times.filter((ms) => ms >= oldestSecond + 1000).length;
    const gap = result.gap;
    const observed = {
      // The server answered somewhere between the request leaving and the answer arriving.
      atMs: (Math.min(nowMs, sentAt) + nowMs) / 2,
      count: page.trades.length + page.rejectedCount,
      oldestMs,
      ...(Number.isFinite(newestMs) ? { newestMs, newerCount } : {}),
      fresh: result.fresh.length,
      gap: gap !== null,
    };
    const seen = this.observe(
      poolId,
      observed,
      gap ? { cursorMs: timestampMs(gap.gapStart), oldestSecondCount: times.length - newerCount } : undefined,
    );
    if (gap) gap.estimatedMissed = Math.round(seen.estimatedMissed * 10) / 10;
    if (result.cursor)
      result.cursor = { ...result.cursor, tradeRatePerS: seen.rate, pollIntervalMs: Math.round(seen.intervalMs) };
    return seen;
  }

  get adaptive(): boolean {
    return this.settings.mode === 'adaptive';
  }

  /**
   * A pool arrives (start, lease): its estimate starts from its stored rate, else (adaptive) from the counters'
   * prior. Returns when it is first due (a seeded pool: see firstDue; `nowMs`, when it arrives).
   */
  add(a: PoolAssignment, nowMs = Date.now()): number {
    const slot = a.index ?? this.localSlot();
    const stored = a.rate?.tradesPerSecond;
    const counted =
      stored === undefined &&
      this.adaptive &&
      a.priorRate !== undefined &&
      Number.isFinite(a.priorRate) &&
      a.priorRate > 0
        ? a.priorRate
        : undefined;
    const prior = stored ?? counted;
    this.entries.set(a.poolId, {
      slot,
      estimate: new RateEstimate(prior, counted !== undefined),
      seeded: counted !== undefined,
      servedAtMs: Number.NaN,
    });
    if (slot < this.cells.slots) {
      this.cells.set(slot, 'active', 1);
      this.cells.set(slot, 'known', prior === undefined ? 0 : 1);
      this.cells.set(slot, 'rate', prior ?? 0);
    }
    this.replan();
    if (counted !== undefined) return this.firstDue(a.poolId, nowMs);
    // An early first poll, the busiest known pools first and unknown ones before them.
    return prior === undefined ? Number.NEGATIVE_INFINITY : -prior;
  }

  /** Whether the pool's rate is still the counters' prior (it had no answer yet). */
  seeded(poolId: string): boolean {
    return this.entries.get(poolId)?.seeded ?? false;
  }

  /**
   * A seeded pool's first poll, as if it had been answered when it arrived (`addedAt`): its plan's interval
   * later, at most the max interval. Until then only a spare slot takes it (busiest first): the busy pools get the
   * first calls, and a quiet pool's first poll, which would store what a later one stores too, waits.
   */
  firstDue(poolId: string, addedAt: number): number {
    return addedAt + Math.min(this.intervalMs(poolId), this.settings.maxPollIntervalMs);
  }

  /** The shared limit's grant count at `nowMs` (every thread's slots so far), taken now and then. */
  noteGrants(nowMs: number, grants: number): void {
    this.unused ??= new UnusedBudget(this.settings.callsPerMinute);
    this.unused.sample(nowMs, grants);
  }

  /**
   * Whether a slot of the budget starting now is spare: at least one call of it went unused over the last minute
   * (noteGrants), and no pool of the process (the shared cells, every thread's) falls due within one limiter
   * interval, by its last answer and interval (before its first poll: an unknown pool at once, a seeded one not).
   */
  spareSlot(nowMs: number): boolean {
    if (!this.unused || this.unused.unused() < 1) return false;
    const within = nowMs + 60_000 / Math.max(1e-9, this.settings.callsPerMinute);
    const dueBy = (polledAt: number, intervalMs: number, known: boolean) =>
      polledAt > 0 ? polledAt + intervalMs < within : !known;
    const n = this.shared ? this.cells.slots : 0;
    for (let slot = 0; slot < n; slot++) {
      const v = this.cells.read(slot);
      if (v.active && dueBy(v.polledAt, v.intervalMs, v.known)) return false;
    }
    for (const e of this.entries.values()) {
      if (e.slot < n) continue;
      if (
        dueBy(
          Number.isFinite(e.servedAtMs) ? e.servedAtMs : 0,
          this.intervals.get(e.slot) ?? 0,
          e.estimate.rate !== undefined,
        )
      )
        return false;
    }
    return true;
  }

  remove(poolId: string): void {
    const e = this.entries.get(poolId);
    if (!e) return;
    this.entries.delete(poolId);
    if (e.slot < this.cells.slots) this.cells.set(e.slot, 'active', 0);
  }

  private localSlot(): number {
    return this.nextLocalSlot++;
  }

  /** The pool's interval now. */
  intervalMs(poolId: string): number {
    if (!this.adaptive) return this.settings.pollIntervalMs;
    const e = this.entries.get(poolId);
    return (e && this.intervals.get(e.slot)) ?? this.settings.minPollIntervalMs;
  }

  /** Whether the pool's trades over `sinceMs` probably fill its window (a poll then answers a full one). */
  fullWindow(poolId: string, sinceMs: number): boolean {
    const rate = this.rateOf(poolId);
    return rate !== undefined && (rate * sinceMs) / 1000 >= WINDOW_TRADES;
  }

  /** The rate estimate of a pool now (trades/s), if any. */
  rateOf(poolId: string): number | undefined {
    return this.entries.get(poolId)?.estimate.rate;
  }

  /**
   * Takes an answer; `gap`, when it has one: the cursor trade's block time and how many of the answer's trades
   * share its oldest trade's second.
   */
  observe(poolId: string, o: RateObservation, gap?: { cursorMs: number; oldestSecondCount: number }): ObservedAnswer {
    const e = this.entries.get(poolId);
    if (!e) return { rate: 0, intervalMs: this.intervalMs(poolId), estimatedMissed: 0 };
    const before = e.estimate.rate;
    e.estimate.observe(o);
    e.seeded = false;
    const rate = e.estimate.rate ?? 0;
    let estimatedMissed = 0;
    if (gap)
      estimatedMissed = gapMissed(
        { ...gap, previousServedMs: e.servedAtMs, oldestMs: o.oldestMs, atMs: o.atMs },
        // The gap lies between the rate before it and the rate after its answer (a burst may start inside it).
        { before: before ?? rate, after: rate },
      );
    e.servedAtMs = o.atMs;
    if (e.slot < this.cells.slots) {
      this.cells.set(e.slot, 'rate', rate);
      this.cells.set(e.slot, 'known', 1);
      this.cells.set(e.slot, 'polledAt', o.atMs);
      if (estimatedMissed > 0) this.cells.set(e.slot, 'missed', this.cells.get(e.slot, 'missed') + estimatedMissed);
    }
    this.replan();
    return { rate, intervalMs: this.intervalMs(poolId), estimatedMissed };
  }

  /** The latest plan (adaptive only). */
  get plan(): BudgetPlan | undefined {
    return this.lastPlan;
  }

  /** Plans over every active pool of the process (the shared cells) and keeps this thread's intervals. */
  replan(): void {
    if (!this.adaptive) return;
    const slots: number[] = [];
    const demand: PoolDemand[] = [];
    const own = new Set([...this.entries.values()].map((e) => e.slot));
    const n = this.shared ? this.cells.slots : 0;
    for (let slot = 0; slot < n; slot++) {
      const v = this.cells.read(slot);
      if (!v.active && !own.has(slot)) continue;
      slots.push(slot);
      demand.push({ rate: v.known ? v.rate : undefined });
    }
    for (const e of this.entries.values()) {
      if (e.slot < n) continue;
      slots.push(e.slot);
      demand.push({ rate: e.estimate.rate });
    }
    const { intervalsMs, plan } = allocate(demand, this.settings);
    this.lastPlan = plan;
    const next = new Map<number, number>();
    for (const [i, slot] of slots.entries())
      if (own.has(slot)) {
        next.set(slot, intervalsMs[i]!);
        if (slot < this.cells.slots) this.cells.set(slot, 'intervalMs', intervalsMs[i]!);
      }
    this.intervals = next;
  }
}
