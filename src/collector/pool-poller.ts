// Polls one collector's group of pools, each when its schedule says (poll-schedule.ts) and each on its own (a
// slow or failing pool never holds up the others): fetch → count trades the row checks refused → drop
// repeats → hand new trades to the batch processor → once they are stored, write the pool's cursor (with its
// rate estimate) and gap (with its estimated missed trades) (poll-commit.ts).

import { LeaseLostError } from '../errors.ts';
import type { CallStats } from '../gecko/gecko-client.ts';
import type { GeckoAuthError } from '../gecko/gecko-errors.ts';
import type { TradesPage } from '../gecko/trade-parser.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import { type CommitDeps, commitPoll } from './poll-commit.ts';
import { type PollerCounters, PollFigures, type RejectMemory } from './poll-figures.ts';
import { holdForSlot, pickEarlyFirst, pickNext } from './poll-pick.ts';
import { PollSchedule } from './poll-schedule.ts';
import type { PollOutcome, PoolPollerOptions } from './pool-poller-options.ts';
import { TradeWindow, type WindowResult } from './trade-window.ts';

export type { PollOutcome, PoolPollerOptions, StateSink, TradeSubmitter } from './pool-poller-options.ts';

interface PoolState extends RejectMemory {
  assignment: PoolAssignment;
  window: TradeWindow;
  dueAt: number;
  /** When its last answered request left, and when the answer arrived (undefined before the first). */
  sentAt: number | undefined;
  /** When the poll in progress (or the last one) was due by the timetable; undefined for a first poll. */
  polledDue: number | undefined;
  answeredAt: number | undefined;
  /** A pool seeded with the counters' rate (adaptive): when it arrived, until its first answer. */
  seededAt: number | undefined;
  /** Cursor writes of this pool, in poll order, each after its poll's trades are stored. */
  chain: Promise<void>;
  /** Bumped when stored trades failed: cursors computed before that must not be written. */
  generation: number;
  /** Leased pools: ends the poll in progress before its next request leaves (lease lost, handed back, lapsed). */
  permit: AbortController | undefined;
  /** Settles once the poll in progress has no request waiting or on the wire. */
  requesting: Promise<void>;
  /** Taken back (removePools): its polls write no cursor or gap any more. */
  removed: boolean;
}

const noCounters: PollerCounters = { add: () => undefined };
/** How often a leased poller with nothing it may poll looks again. */
const LEASE_IDLE_CHECK_MS = 100;
/** How often an adaptive poller plans again without an answer of its own (other threads' rates move it). */
const REPLAN_MS = 250;
export const DEFAULT_MAX_CONCURRENT_POLLS = 8;

function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export class PoolPoller {
  private readonly pools: PoolState[];
  private readonly byKey = new Map<string, PoolState>();
  /** Chains of pools removed from the set: drain() still waits for their cursors. */
  private retired: Promise<void>[] = [];
  private wake: (() => void) | undefined;
  private readonly counters: PollerCounters;
  private readonly log: Logger;
  private readonly now: () => number;
  private authRefused = false;
  private readonly maxConcurrent: number;
  readonly schedule: PollSchedule;
  private readonly figures: PollFigures;
  private readonly commitDeps: CommitDeps<PoolState>;

  constructor(private readonly options: PoolPollerOptions) {
    this.counters = options.counters ?? noCounters;
    this.log = options.logger ?? componentLogger('pool-poller');
    this.now = options.now ?? Date.now;
    this.maxConcurrent = Math.max(1, options.maxConcurrentPolls ?? DEFAULT_MAX_CONCURRENT_POLLS);
    this.figures = new PollFigures(this.counters, options.poolCounters, this.log);
    this.schedule = new PollSchedule(
      options.schedule ?? PollSchedule.fixed(options.pollIntervalMs),
      options.scheduleCells,
    );
    this.commitDeps = {
      state: options.state,
      counters: this.counters,
      figures: this.figures,
      log: this.log,
      held: (target) => this.mayPoll(target),
    };
    this.pools = options.pools.map((assignment) => this.stateFor(assignment));
  }

  private stateFor(assignment: PoolAssignment): PoolState {
    const state: PoolState = {
      assignment,
      window: new TradeWindow(assignment.poolId, {
        ...this.options.window,
        cursor: assignment.cursor,
        recentIds: assignment.recentIds,
      }),
      dueAt: this.schedule.add(assignment, this.now()),
      sentAt: undefined,
      polledDue: undefined,
      answeredAt: undefined,
      seededAt: this.schedule.seeded(assignment.poolId) ? this.now() : undefined,
      chain: Promise.resolve(),
      generation: 0,
      rejectedKeys: new Set(),
      permit: undefined,
      requesting: Promise.resolve(),
      removed: false,
      undetailedRejects: 0,
    };
    this.byKey.set(assignment.poolId, state);
    this.byKey.set(assignment.address, state);
    return state;
  }

  /** Takes pools (a lease acquired): each starts from the cursor it carries; a pool held before starts afresh. */
  addPools(assignments: readonly PoolAssignment[]): void {
    for (const a of assignments) {
      void this.removePools([a.poolId]);
      this.pools.push(this.stateFor(a));
    }
    this.wake?.();
  }

  /**
   * Stops polling pools (a lease lost or given back): a poll still waiting for a rate-limit slot or a retry ends
   * unsent. Resolves once none of them has a request waiting or on the wire; their trades are still stored.
   */
  removePools(poolIds: readonly string[]): Promise<void> {
    const requesting: Promise<void>[] = [];
    for (const id of poolIds) {
      const state = this.byKey.get(id);
      if (!state) continue;
      this.byKey.delete(state.assignment.poolId);
      this.byKey.delete(state.assignment.address);
      this.pools.splice(this.pools.indexOf(state), 1);
      state.removed = true;
      this.schedule.remove(state.assignment.poolId);
      state.permit?.abort(new LeaseLostError(`pool ${state.assignment.poolId} was taken back`));
      requesting.push(state.requesting);
      this.retired.push(state.chain);
    }
    return Promise.all(requesting).then(() => undefined);
  }

  private mayPoll(state: PoolState): boolean {
    const slot = state.assignment.index;
    return !state.removed && (!this.options.leases || slot === undefined || this.options.leases.held(slot));
  }

  /** Ends a poll's waits once its lease is gone (a lapse has no revoke to do it). */
  private endIfLeaseGone(state: PoolState): void {
    if (state.permit && !state.permit.signal.aborted && !this.mayPoll(state))
      state.permit.abort(new LeaseLostError(`the lease of pool ${state.assignment.poolId} is no longer held`));
  }

  windowOf(pool: string): TradeWindow | undefined {
    return this.byKey.get(pool)?.window;
  }

  /**
   * Polls until `stop` aborts, then flushes and waits for every poll's trades and cursor to be committed.
   * `requestSignal` (default `stop`) cuts requests already sent: a caller that wants the trades of a request
   * in flight at stop time (the server counted them as served) passes a later signal.
   */
  async run(stop: AbortSignal, requestSignal: AbortSignal = stop): Promise<void> {
    const leased = this.options.leases !== undefined;
    // Each pool's poll runs on its own: one that trickles or waits out a Retry-After delays only itself.
    const inFlight = new Map<PoolState, Promise<void>>();
    let replannedAt = this.now();
    // The budget counts as unused from the start: a spare slot need not wait for a replan's sample.
    this.noteGrants();
    while (!stop.aborted && !this.authRefused && (leased || this.options.openSet || this.pools.length > 0)) {
      for (const p of inFlight.keys()) this.endIfLeaseGone(p);
      // The plan moves with every thread's pools, not only with this one's answers: look at it again now and then.
      if (this.schedule.adaptive && this.now() - replannedAt >= REPLAN_MS) {
        replannedAt = this.now();
        this.noteGrants();
        this.schedule.replan();
        this.rescheduleAnswered();
      }
      let next: PoolState | undefined;
      if (inFlight.size < this.maxConcurrent) next = this.pick(inFlight);
      if (!next) {
        // Nothing to start now: wait for a poll to end, a pool (or a renewed lease), or the stop.
        await this.idle(stop, LEASE_IDLE_CHECK_MS);
        continue;
      }
      let wait = Math.min(
        next.dueAt - this.now(),
        leased ? LEASE_IDLE_CHECK_MS : Number.POSITIVE_INFINITY,
        this.schedule.adaptive ? REPLAN_MS : Number.POSITIVE_INFINITY,
      );
      // Adaptive: a due poll starts when the limit's next slot is near, so the pick is made then.
      const toSlot = this.schedule.adaptive ? this.options.msToNextSlot?.() : undefined;
      const hold = holdForSlot(toSlot);
      const early = wait > 0 && toSlot !== undefined && hold === 0 ? this.pickEarly(inFlight) : undefined;
      if (early) [next, wait] = [early, 0];
      if (wait > 0 || hold > 0) {
        await this.idle(stop, wait > 0 ? wait : Math.min(hold, REPLAN_MS));
        // A poll may have ended or a pool arrived meanwhile, a leased pool been revoked: look again.
        continue;
      }
      if (stop.aborted) break;
      const state = next;
      state.polledDue = state.answeredAt === undefined ? undefined : state.dueAt;
      state.seededAt = undefined; // its first poll left: a failed one is retried as any pool's
      const poll = this.pollState(state, requestSignal, stop).then(
        () => undefined,
        (err: unknown) => this.log.error({ err, poolId: state.assignment.poolId }, 'poll failed unexpectedly'),
      );
      inFlight.set(
        state,
        poll.finally(() => {
          inFlight.delete(state);
          this.wake?.();
        }),
      );
    }
    await Promise.all(inFlight.values());
    // Batches are cut by size or after maxWaitMs; at a stop there is no reason to wait for the timer.
    await this.options.trades.flushTrades?.().catch(() => undefined);
    await this.drain();
  }

  /** The pool to poll next: by due time; adaptive, a due pool that answers a full window first (poll-pick.ts). */
  private pick(inFlight: ReadonlyMap<PoolState, unknown>): PoolState | undefined {
    return pickNext(
      this.pools.filter((p) => !inFlight.has(p) && this.mayPoll(p)),
      (p) => ({ poolId: p.assignment.poolId, dueAt: p.dueAt, answeredAt: p.answeredAt }),
      this.now(),
      this.schedule.adaptive ? (poolId, sinceMs) => this.schedule.fullWindow(poolId, sinceMs) : () => false,
    );
  }

  /** A slot no pool wants, budget unused lately: a seeded pool's first poll ahead of its turn (poll-pick.ts). */
  private pickEarly(inFlight: ReadonlyMap<PoolState, unknown>): PoolState | undefined {
    this.noteGrants();
    if (!this.schedule.spareSlot(this.now())) return undefined;
    const waiting = this.pools.filter((p) => p.seededAt !== undefined && !inFlight.has(p) && this.mayPoll(p));
    return pickEarlyFirst(waiting, (p) => this.schedule.rateOf(p.assignment.poolId));
  }

  /** The shared limit's grants so far, for the schedule's unused-budget count (adaptive only). */
  private noteGrants(): void {
    if (this.schedule.adaptive && this.options.limiterGrants)
      this.schedule.noteGrants(this.now(), this.options.limiterGrants());
  }

  /** Waits `ms`, or until a poll ends or pools arrive (wake), or the stop. */
  private idle(stop: AbortSignal, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      stop.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** One poll of one pool (by address or pool id), outside the schedule. */
  async pollOnce(pool: string, signal?: AbortSignal): Promise<PollOutcome> {
    const state = this.byKey.get(pool);
    if (!state) throw new RangeError(`pool ${pool} is not assigned to this poller`);
    return this.pollState(state, signal, signal);
  }

  /** Resolves when every poll so far has its trades stored and its cursor written (or failed). */
  async drain(): Promise<void> {
    await Promise.all([...this.pools.map((p) => p.chain), ...this.retired]);
    this.retired = [];
  }

  private async pollState(
    state: PoolState,
    signal: AbortSignal | undefined,
    stop: AbortSignal | undefined,
  ): Promise<PollOutcome> {
    const { assignment, window } = state;
    const poolId = assignment.poolId;
    const call: CallStats = { requests: 0, throttled: 0 };
    const permit = this.options.leases && assignment.index !== undefined ? new AbortController() : undefined;
    state.permit = permit;
    let requestEnded: () => void = () => undefined;
    state.requesting = new Promise<void>((resolve) => (requestEnded = resolve));
    let page: TradesPage;
    try {
      page = await this.options.client.getPoolTradesPage(this.options.network, assignment.address, {
        ...(this.options.minVolumeUsd !== undefined ? { minVolumeUsd: this.options.minVolumeUsd } : {}),
        ...(signal ? { signal } : {}),
        ...(permit ? { permit: { signal: permit.signal, refresh: () => this.endIfLeaseGone(state) } } : {}),
        stats: call,
      });
    } catch (err) {
      this.figures.countPoll(assignment, call, false);
      state.dueAt = this.now() + this.schedule.intervalMs(poolId);
      const error = err instanceof Error ? err : new Error(String(err));
      const stopping = (signal?.aborted ?? false) || (stop?.aborted ?? false);
      if (permit?.signal.aborted) {
        this.log.debug({ poolId, reason: errorCode(error) }, 'poll ended unsent: the lease is no longer held');
      } else if (errorCode(err) === 'GECKO_AUTH_REFUSED') {
        this.authRefused = true;
        this.options.onAuthRefused?.(err as GeckoAuthError);
      } else if (!stopping) {
        this.figures.poolCount(assignment, 'errors');
        this.counters.add('errors');
        if (errorCode(err) === 'GECKO_BAD_RESPONSE') {
          // A malformed body is GeckoTerminal's problem, not ours: skip this response, poll again next time.
          this.counters.add('badResponses');
          this.log.warn({ err, poolId }, 'malformed trades response; skipping this poll');
        } else {
          this.log.warn({ err, poolId, code: errorCode(err) }, 'trades poll failed; will retry at the next interval');
        }
      }
      return {
        poolId,
        fetched: 0,
        rejected: 0,
        fresh: 0,
        repeats: 0,
        gap: null,
        error,
        committed: Promise.resolve(),
      };
    } finally {
      state.permit = undefined;
      requestEnded();
    }
    this.figures.countPoll(assignment, call, true, page);
    const nowMs = this.now();
    const { trades } = page;
    this.figures.noteRejected(state, page);
    // Refused trades never reach the window: they are not stored, so no cursor may stand on them. The response
    // size still counts for the gap check (a full response is full whatever its rows were).
    const result = window.accept(trades, nowMs, trades.length + page.rejectedCount);
    this.observe(state, page, result, nowMs, call.sentAt ?? nowMs);
    this.counters.add('fetched', trades.length);
    this.counters.add('repeats', result.repeats);
    if (result.gap) {
      this.counters.add('gaps');
      this.log.warn(
        { poolId, gap: result.gap },
        'full response does not reach back to the cursor: trades may be missing',
      );
    }

    let done: Promise<void> = Promise.resolve();
    if (result.fresh.length > 0) {
      const n = result.fresh.length;
      this.counters.add('pollsWithTrades');
      this.counters.add('pendingTrades', n);
      const submission = this.options.trades.submitTrades(result.fresh);
      done = submission.done.finally(() => this.counters.add('pendingTrades', -n));
      // `done` is observed by the chain below; keep an early rejection from counting as unhandled meanwhile.
      done.catch(() => undefined);
      await submission.accepted.catch(() => undefined);
    }

    const generation = state.generation;
    const freshIds = result.fresh.map((t) => t.id);
    const pending = { generation, done, freshIds, cursor: result.cursor, gap: result.gap };
    state.chain = state.chain.then(() => commitPoll(this.commitDeps, state, pending));
    return {
      poolId,
      fetched: trades.length,
      rejected: page.rejectedCount,
      fresh: result.fresh.length,
      repeats: result.repeats,
      gap: result.gap,
      committed: state.chain,
    };
  }

  /** The answer to the schedule: the pool's rate and next poll, and the other pools' (one plan for all). */
  private observe(state: PoolState, page: TradesPage, result: WindowResult, nowMs: number, sentAt: number): void {
    this.schedule.answer(state.assignment.poolId, page, result, nowMs, sentAt);
    state.sentAt = sentAt;
    state.answeredAt = nowMs;
    state.dueAt = this.dueAfterAnswer(state);
    this.rescheduleAnswered();
  }

  /** Adaptive: every answered pool's next poll by the plan now (and a seeded pool's first). */
  private rescheduleAnswered(): void {
    if (!this.schedule.adaptive) return;
    for (const p of this.pools)
      if (p.answeredAt !== undefined) p.dueAt = this.dueAfterAnswer(p);
      else if (p.seededAt !== undefined) p.dueAt = this.schedule.firstDue(p.assignment.poolId, p.seededAt);
  }

  /**
   * Fixed: the interval after the answer arrived. Adaptive: a timetable, the interval after the poll was due (a
   * wait for the budget or a slow answer does not stretch it, so a plan that spends the whole budget does), but
   * at least half an interval after the request left (no bunching after a long wait), and never sooner after the
   * answer than the cache allows.
   */
  private dueAfterAnswer(p: PoolState): number {
    const interval = this.schedule.intervalMs(p.assignment.poolId);
    if (!this.schedule.adaptive) return p.answeredAt! + interval;
    const byTimetable =
      p.polledDue === undefined ? p.sentAt! + interval : Math.max(p.polledDue + interval, p.sentAt! + interval / 2);
    return Math.max(byTimetable, p.answeredAt! + this.schedule.settings.minPollIntervalMs);
  }
}
