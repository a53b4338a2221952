// Polls one collector's group of pools, each when its schedule says (poll-schedule.ts) and each on its own (a
// slow or failing pool never holds up the others): fetch → count trades the row checks refused → drop
// repeats → hand new trades to the batch processor → once they are stored, write the pool's cursor (with its
// rate estimate) and gap (with its estimated missed trades).

import { timestampMs } from '../common/stored-time.ts';
import { BatchFailedError, LeaseLostError } from '../errors.ts';
import type { CallStats, GeckoTerminalClient } from '../gecko/gecko-client.ts';
import type { GeckoAuthError } from '../gecko/gecko-errors.ts';
import type { TradesPage } from '../gecko/trade-parser.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import type { CounterName, PoolAssignment, PoolLeaseCells } from '../protocol/collector-task.ts';
import type { PoolCounters } from '../protocol/pool-counters.ts';
import type { PoolScheduleCells, ScheduleSettings } from '../protocol/pool-schedule.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import { PollSchedule } from './poll-schedule.ts';
import { TradeWindow, type TradeWindowOptions, type WindowResult } from './trade-window.ts';

/** The part of TradeDataBatchProcessor the poller uses. */
export interface TradeSubmitter {
  submitTrades(trades: readonly TradeRecord[]): { accepted: Promise<void>; done: Promise<void> };
  /** Sends what is buffered now instead of after the batch wait (used when stopping). */
  flushTrades?(): Promise<void>;
}

/** Commits cursors and gaps (in one transaction when both are given). */
export interface StateSink {
  writeState(update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }): Promise<void>;
}

export interface PollerCounters {
  add(name: CounterName, n?: number): void;
}

export interface PoolPollerOptions {
  client: Pick<GeckoTerminalClient, 'getPoolTradesPage'>;
  network: string;
  pools: readonly PoolAssignment[];
  /** Without `schedule`: a pool is polled again this long after its previous response arrived. */
  pollIntervalMs: number;
  /** When each pool is polled (default: fixed at pollIntervalMs). */
  schedule?: ScheduleSettings;
  /** Every pool's rate and interval, shared by the process's collector threads (one budget for all). */
  scheduleCells?: PoolScheduleCells;
  /**
   * Polls in flight at once (each a different pool; the shared rate limit still paces the requests). Bounds
   * memory to this many response bodies. Default 8.
   */
  maxConcurrentPolls?: number;
  minVolumeUsd?: string;
  trades: TradeSubmitter;
  state: StateSink;
  counters?: PollerCounters;
  /** Per-pool figures, in the slot of each assignment's `index`. */
  poolCounters?: PoolCounters;
  /**
   * The API refused the credentials: no poll can succeed, so this poller stops at once (after handing the
   * error here) and the caller stops the others.
   */
  onAuthRefused?: (err: GeckoAuthError) => void;
  logger?: Logger;
  now?: () => number;
  window?: Omit<TradeWindowOptions, 'cursor' | 'recentIds'>;
  /**
   * Pools shared through leases: the pool set changes (addPools, removePools), a pool (by its `index`) is
   * polled only while its lease cell says this process holds it (asked again right before each request and
   * retry leaves), and an empty set waits for pools.
   */
  leases?: PoolLeaseCells;
  /** The run's pool set changes while it runs (addPools, removePools): an empty set waits for pools. */
  openSet?: boolean;
}

export interface PollOutcome {
  poolId: string;
  /** Trades in the response that passed the row checks. */
  fetched: number;
  /** Trades in the response the row checks refused (each logged and counted the first time it is seen). */
  rejected: number;
  fresh: number;
  repeats: number;
  gap: GapRecord | null;
  /** The poll's error (the poller logged and counted it already). */
  error?: Error;
  /** Settles once the poll's trades are stored and its cursor/gap written (or that failed and was counted). */
  committed: Promise<void>;
}

interface PoolState {
  assignment: PoolAssignment;
  window: TradeWindow;
  dueAt: number;
  /** When its last answer arrived (undefined before the first). */
  answeredAt: number | undefined;
  /** Cursor writes of this pool, in poll order, each after its poll's trades are stored. */
  chain: Promise<void>;
  /** Bumped when stored trades failed: cursors computed before that must not be written. */
  generation: number;
  /** Keys of the refused trades already counted (a bad trade comes back in every response of the window). */
  rejectedKeys: Set<string>;
  /** Leased pools: ends the poll in progress before its next request leaves (lease lost, handed back, lapsed). */
  permit: AbortController | undefined;
  /** Settles once the poll in progress has no request waiting or on the wire. */
  requesting: Promise<void>;
  /** Taken back (removePools): its polls write no cursor or gap any more. */
  removed: boolean;
  /** The last page's refused trades beyond its detailed ones (TradesPage.rejectedCount), counted without keys. */
  undetailedRejects: number;
}

const noCounters: PollerCounters = { add: () => undefined };
/** How often a leased poller with nothing it may poll looks again. */
const LEASE_IDLE_CHECK_MS = 100;
export const DEFAULT_MAX_CONCURRENT_POLLS = 8;
/** Refused trades remembered per pool; beyond it the oldest are forgotten (and counted again if they return). */
const MAX_REJECTED_KEYS = 4096;

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

  constructor(private readonly options: PoolPollerOptions) {
    this.counters = options.counters ?? noCounters;
    this.log = options.logger ?? componentLogger('pool-poller');
    this.now = options.now ?? Date.now;
    this.maxConcurrent = Math.max(1, options.maxConcurrentPolls ?? DEFAULT_MAX_CONCURRENT_POLLS);
    this.schedule = new PollSchedule(
      options.schedule ?? {
        mode: 'fixed',
        pollIntervalMs: options.pollIntervalMs,
        minPollIntervalMs: 0,
        maxPollIntervalMs: options.pollIntervalMs,
        priority: 'trades',
        callsPerMinute: 60,
      },
      options.scheduleCells,
    );
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
      dueAt: this.schedule.add(assignment),
      answeredAt: undefined,
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
    while (!stop.aborted && !this.authRefused && (leased || this.options.openSet || this.pools.length > 0)) {
      for (const p of inFlight.keys()) this.endIfLeaseGone(p);
      let next: PoolState | undefined;
      if (inFlight.size < this.maxConcurrent)
        for (const p of this.pools)
          if (!inFlight.has(p) && this.mayPoll(p) && (!next || p.dueAt < next.dueAt)) next = p;
      if (!next) {
        // Nothing to start now: wait for a poll to end, a pool (or a renewed lease), or the stop.
        await this.idle(stop, LEASE_IDLE_CHECK_MS);
        continue;
      }
      const wait = Math.min(next.dueAt - this.now(), leased ? LEASE_IDLE_CHECK_MS : Number.POSITIVE_INFINITY);
      if (wait > 0) {
        await this.idle(stop, wait);
        // A poll may have ended or a pool arrived meanwhile, a leased pool been revoked: look again.
        continue;
      }
      if (stop.aborted) break;
      const state = next;
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
      this.countPoll(assignment, call, false);
      state.dueAt = this.now() + this.schedule.intervalMs(poolId);
      const error = err instanceof Error ? err : new Error(String(err));
      const stopping = (signal?.aborted ?? false) || (stop?.aborted ?? false);
      if (permit?.signal.aborted) {
        this.log.debug({ poolId, reason: errorCode(error) }, 'poll ended unsent: the lease is no longer held');
      } else if (errorCode(err) === 'GECKO_AUTH_REFUSED') {
        this.authRefused = true;
        this.options.onAuthRefused?.(err as GeckoAuthError);
      } else if (!stopping) {
        this.poolCount(assignment, 'errors');
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
    this.countPoll(assignment, call, true);
    const nowMs = this.now();
    const { trades } = page;
    this.noteRejected(state, page);
    // Refused trades never reach the window: they are not stored, so no cursor may stand on them. The response
    // size still counts for the gap check (a full response is full whatever its rows were).
    const result = window.accept(trades, nowMs, trades.length + page.rejectedCount);
    this.observe(state, page, result, nowMs);
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
    state.chain = state.chain.then(() => this.commit(state, generation, done, freshIds, result.cursor, result.gap));
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

  /**
   * The answer's figures to the schedule: the pool's rate, its next poll, and the other pools' (one plan for all);
   * the rate goes with the cursor, the estimated missed trades with the gap.
   */
  private observe(state: PoolState, page: TradesPage, result: WindowResult, nowMs: number): void {
    const poolId = state.assignment.poolId;
    let oldestMs = Number.NaN;
    for (const t of page.trades) {
      const ms = timestampMs(t.blockTimestamp);
      if (!(ms >= oldestMs)) oldestMs = ms;
    }
    const gap = result.gap;
    const gapSpanMs = gap ? timestampMs(gap.gapEnd) - timestampMs(gap.gapStart) : undefined;
    const seen = this.schedule.observe(
      poolId,
      {
        atMs: nowMs,
        count: page.trades.length + page.rejectedCount,
        oldestMs,
        fresh: result.fresh.length,
        gap: gap !== null,
      },
      gapSpanMs,
    );
    state.answeredAt = nowMs;
    state.dueAt = nowMs + seen.intervalMs;
    if (gap) gap.estimatedMissed = Math.round(seen.estimatedMissed * 10) / 10;
    if (result.cursor)
      result.cursor = { ...result.cursor, tradeRatePerS: seen.rate, pollIntervalMs: Math.round(seen.intervalMs) };
    if (this.schedule.adaptive)
      for (const p of this.pools)
        if (p !== state && p.answeredAt !== undefined)
          p.dueAt = p.answeredAt + this.schedule.intervalMs(p.assignment.poolId);
  }

  /**
   * Counts and logs each refused trade the first time the pool's responses carry it. Those a page only counts
   * (beyond its first MAX_REJECT_DETAILS) have no key: what is new among them is estimated as how many more there
   * are than on the pool's last page, and logged in one line.
   */
  private noteRejected(state: PoolState, page: TradesPage): void {
    const poolId = state.assignment.poolId;
    const undetailed = page.rejectedCount - page.rejected.length;
    const more = undetailed - state.undetailedRejects;
    state.undetailedRejects = undetailed;
    if (more > 0) {
      this.counters.add('tradesRejected', more);
      this.poolCount(state.assignment, 'rejected', more);
      this.log.warn(
        { poolId, rejected: page.rejectedCount, undetailed },
        `trades rejected (not stored, their page-mates are): pool ${poolId}, ${page.rejectedCount} items of one page, only the first ${page.rejected.length} logged`,
      );
    }
    for (const r of page.rejected) {
      if (state.rejectedKeys.has(r.key)) continue;
      state.rejectedKeys.add(r.key);
      if (state.rejectedKeys.size > MAX_REJECTED_KEYS)
        state.rejectedKeys.delete(state.rejectedKeys.values().next().value as string);
      this.counters.add('tradesRejected');
      this.poolCount(state.assignment, 'rejected');
      this.log.warn(
        { poolId, tradeId: r.id ?? null, index: r.index, reason: r.reason },
        `trade rejected (not stored, its page-mates are): pool ${poolId}, trade ${r.id ?? '(no id)'} at data[${r.index}]: ${r.reason}`,
      );
    }
  }

  private poolCount(assignment: PoolAssignment, name: 'errors' | 'stored' | 'rejected', n = 1): void {
    if (assignment.index !== undefined) this.options.poolCounters?.add(assignment.index, name, n);
  }

  /** A poll counts once its request was sent: one cancelled while it waited for the rate limiter asked nothing. */
  private countPoll(assignment: PoolAssignment, call: CallStats, ok: boolean): void {
    if (call.requests === 0) return;
    this.counters.add('polls');
    const pc = this.options.poolCounters;
    if (!pc || assignment.index === undefined) return;
    pc.add(assignment.index, 'polls');
    pc.add(assignment.index, 'requests', call.requests);
    pc.add(assignment.index, 'throttled', call.throttled);
    if (ok) pc.set(assignment.index, 'lastSuccessAt', Date.now());
  }

  /** After the poll's trades are stored: the cursor (never ahead of stored trades) and the gap, in one write. */
  private async commit(
    state: PoolState,
    generation: number,
    done: Promise<void>,
    freshIds: string[],
    cursor: CursorUpdate | null,
    gap: GapRecord | null,
  ): Promise<void> {
    const poolId = state.assignment.poolId;
    let stored = true;
    try {
      await done;
    } catch (err) {
      stored = false;
      const failed =
        err instanceof BatchFailedError ? (err.items as readonly TradeRecord[]).map((t) => t.id) : freshIds;
      state.window.rollback(failed);
      state.generation++;
      this.counters.add('errors');
      this.poolCount(state.assignment, 'errors');
      this.log.error(
        { err, poolId, failed: failed.length },
        'trades could not be stored; the cursor stays behind them',
      );
    }
    if (stored) this.poolCount(state.assignment, 'stored', freshIds.length);
    // A response that came back after the lease was lost: its trades are stored (idempotent by id, and the
    // server counted them served), but its cursor and gap are not written: another holder may have moved the
    // cursor past them, and a gap judged against our stale cursor may be none. The writer's fence (holder,
    // epoch, expiry) covers a lease lost between this check and the commit.
    const leaseHeld = this.mayPoll(state);
    if (!leaseHeld && (cursor || gap))
      this.log.debug({ poolId }, 'lease no longer held: this poll writes no cursor or gap');
    const cursorOk = leaseHeld && stored && generation === state.generation && cursor !== null;
    const update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] } = {};
    const epoch = state.assignment.leaseEpoch;
    if (cursorOk) update.cursors = [epoch === undefined ? cursor : { ...cursor, leaseEpoch: epoch }];
    if (gap && leaseHeld) update.gaps = [gap];
    if (!update.cursors && !update.gaps) return;
    try {
      await this.options.state.writeState(update);
      if (cursorOk) state.window.markCommitted(cursor);
    } catch (err) {
      this.counters.add('errors');
      this.log.error({ err, poolId }, 'cursor/gap write failed');
    }
  }
}
