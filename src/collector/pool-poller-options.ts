// What a PoolPoller is given (client, pools, schedule, where trades and cursors go, counters, leases) and what one
// poll gives back.

import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import type { GeckoAuthError } from '../gecko/gecko-errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { PoolAssignment, PoolLeaseCells } from '../protocol/collector-task.ts';
import type { PoolCounters } from '../protocol/pool-counters.ts';
import type { PoolScheduleCells, ScheduleSettings } from '../protocol/pool-schedule.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import type { PollerCounters } from './poll-figures.ts';
import type { TradeWindowOptions } from './trade-window.ts';

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
  /** How long until the shared limit's next free slot: an adaptive poller picks its next pool when it is near. */
  msToNextSlot?: () => number;
  /** Slots the shared limit granted so far (every thread's): a seeded pool's early first poll takes unused budget only. */
  limiterGrants?: () => number;
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
