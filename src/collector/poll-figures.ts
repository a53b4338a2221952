// What a poller counts of its polls, overall and per pool: polls and requests once sent, errors, stored trades,
// and refused trades, each logged and counted the first time a pool's answers carry it.

import { timestampMs } from '../common/stored-time.ts';
import type { CallStats } from '../gecko/gecko-client.ts';
import type { TradesPage } from '../gecko/trade-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { CounterName, PoolAssignment } from '../protocol/collector-task.ts';
import type { PoolCounters } from '../protocol/pool-counters.ts';
import { TRADES_PER_RESPONSE } from './trade-window.ts';

export interface PollerCounters {
  add(name: CounterName, n?: number): void;
}

/** Refused trades remembered per pool; beyond it the oldest are forgotten (and counted again if they return). */
const MAX_REJECTED_KEYS = 4096;

/** One pool's memory of the refused trades already counted. */
export interface RejectMemory {
  assignment: PoolAssignment;
  /** Keys of the refused trades already counted (a bad trade comes back in every response of the window). */
  rejectedKeys: Set<string>;
  /** The last page's refused trades beyond its detailed ones (TradesPage.rejectedCount), counted without keys. */
  undetailedRejects: number;
}

export class PollFigures {
  constructor(
    private readonly counters: PollerCounters,
    private readonly poolCounters: PoolCounters | undefined,
    private readonly log: Logger,
  ) {}

  poolCount(assignment: PoolAssignment, name: 'errors' | 'stored' | 'rejected', n = 1): void {
    if (assignment.index !== undefined) this.poolCounters?.add(assignment.index, name, n);
  }

  /** A poll counts once its request was sent: one cancelled while it waited for the rate limiter asked nothing. */
  countPoll(assignment: PoolAssignment, call: CallStats, ok: boolean, page?: TradesPage): void {
    if (call.requests === 0) return;
    this.counters.add('polls');
    const pc = this.poolCounters;
    if (!pc || assignment.index === undefined) return;
    pc.add(assignment.index, 'polls');
    pc.add(assignment.index, 'requests', call.requests);
    pc.add(assignment.index, 'throttled', call.throttled);
    if (!ok) return;
    const now = Date.now();
    pc.set(assignment.index, 'lastSuccessAt', now);
    if (page && pc.read(assignment.index).firstSuccessAt === 0) {
      // The counter-based coverage (run/counter-coverage.ts) needs where this run's knowledge of the pool begins.
      pc.set(assignment.index, 'firstSuccessAt', now);
      const full = page.trades.length + page.rejectedCount >= TRADES_PER_RESPONSE;
      let oldest = Number.POSITIVE_INFINITY;
      for (const t of page.trades) oldest = Math.min(oldest, timestampMs(t.blockTimestamp));
      pc.set(assignment.index, 'completeFromMs', full && Number.isFinite(oldest) ? oldest : -1);
    }
  }

  /**
   * Counts and logs each refused trade the first time the pool's responses carry it. Those a page only counts
   * (beyond its first MAX_REJECT_DETAILS) have no key: what is new among them is estimated as how many more there
   * are than on the pool's last page, and logged in one line.
   */
  noteRejected(state: RejectMemory, page: TradesPage): void {
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
}
