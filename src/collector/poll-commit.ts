// A poll's last step, once its trades are stored: the pool's cursor (never ahead of stored trades) and its gap, in
// one write; trades that could not be stored roll the pool's window back so the next answer offers them again.

import { BatchFailedError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import type { PollerCounters, PollFigures } from './poll-figures.ts';
import type { StateSink } from './pool-poller-options.ts';
import type { TradeWindow } from './trade-window.ts';

/** The pool as the commit sees it. */
export interface CommitTarget {
  assignment: PoolAssignment;
  window: TradeWindow;
  /** Bumped when stored trades failed: cursors computed before that must not be written. */
  generation: number;
}

export interface CommitDeps<T extends CommitTarget = CommitTarget> {
  state: StateSink;
  counters: PollerCounters;
  figures: Pick<PollFigures, 'poolCount'>;
  log: Logger;
  /** The pool is still this poller's (lease held, not taken back). */
  held: (target: T) => boolean;
}

/** What one poll leaves to commit. */
export interface PendingCommit {
  /** The generation when the poll's cursor was computed. */
  generation: number;
  /** Settles when the poll's fresh trades are stored (rejects when they could not be). */
  done: Promise<void>;
  freshIds: readonly string[];
  cursor: CursorUpdate | null;
  gap: GapRecord | null;
}

export async function commitPoll<T extends CommitTarget>(
  deps: CommitDeps<T>,
  target: T,
  p: PendingCommit,
): Promise<void> {
  const poolId = target.assignment.poolId;
  const { cursor, gap } = p;
  let stored = true;
  try {
    await p.done;
  } catch (err) {
    stored = false;
    const failed =
      err instanceof BatchFailedError ? (err.items as readonly TradeRecord[]).map((t) => t.id) : p.freshIds;
    target.window.rollback(failed);
    target.generation++;
    deps.counters.add('errors');
    deps.figures.poolCount(target.assignment, 'errors');
    deps.log.error({ err, poolId, failed: failed.length }, 'trades could not be stored; the cursor stays behind them');
  }
  if (stored) deps.figures.poolCount(target.assignment, 'stored', p.freshIds.length);
  // A response that came back after the lease was lost: its trades are stored (idempotent by id, and the server
  // counted them served), but its cursor and gap are not written: another holder may have moved the cursor past
  // them, and a gap judged against our stale cursor may be none. The writer's fence (holder, epoch, expiry) covers
  // a lease lost between this check and the commit.
  const leaseHeld = deps.held(target);
  if (!leaseHeld && (cursor || gap))
    deps.log.debug({ poolId }, 'lease no longer held: this poll writes no cursor or gap');
  const cursorOk = leaseHeld && stored && p.generation === target.generation && cursor !== null;
  const update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] } = {};
  const epoch = target.assignment.leaseEpoch;
  if (cursorOk) update.cursors = [epoch === undefined ? cursor : { ...cursor, leaseEpoch: epoch }];
  if (gap && leaseHeld) update.gaps = [gap];
  if (!update.cursors && !update.gaps) return;
  try {
    await deps.state.writeState(update);
    if (cursorOk) target.window.markCommitted(cursor);
  } catch (err) {
    deps.counters.add('errors');
    deps.log.error({ err, poolId }, 'cursor/gap write failed');
  }
}
