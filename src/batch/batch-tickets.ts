// The promises a batch processor hands its callers: a ticket per add call, a waiter per flush/close, each
// settled once its items are handled, rejecting with a BatchFailedError that holds exactly its failed items.

import { BatchFailedError } from '../errors.ts';

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Collects the items of one add call (or one flush) that failed, to hand exactly those back. */
export interface Outcome<T> {
  failed: T[];
  lastFailure: BatchFailedError<T> | null;
  done: Deferred;
}

/** One add/submit call's items. */
export interface Ticket<T> extends Outcome<T> {
  total: number;
  settled: number;
  accepted: Deferred;
}

export interface FlushWaiter<T> extends Outcome<T> {
  /** Covers every item with a smaller sequence number. */
  target: number;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves the outcome, or rejects it with its failed items (`ofTotal`: e.g. ` of 7` for an add call). */
export function finishOutcome<T>(outcome: Outcome<T>, ofTotal: string): void {
  const last = outcome.lastFailure;
  if (!last) {
    outcome.done.resolve();
    return;
  }
  outcome.done.reject(
    new BatchFailedError<T>(
      `${outcome.failed.length}${ofTotal} items failed after ${last.attempts} attempt(s): ${messageOf(last.cause)}`,
      outcome.failed,
      last.attempts,
      { cause: last.cause },
    ),
  );
}

/** An item held by the processor: its place in the sequence and the add call it came from. */
export interface TicketItem<T> {
  item: T;
  seq: number;
  ticket: Ticket<T>;
}

/**
 * A batch's items are handled (`failure` null) or handed back: each counts toward its own add call's ticket,
 * which settles with its last item, and a failed one also goes to every flush waiter that covers it.
 */
export function settleItems<T>(
  items: readonly TicketItem<T>[],
  failure: BatchFailedError<T> | null,
  flushWaiters: readonly FlushWaiter<T>[],
): void {
  for (const e of items) {
    const t = e.ticket;
    t.settled++;
    if (failure) {
      t.failed.push(e.item);
      t.lastFailure = failure;
    }
    if (t.settled === t.total) finishOutcome(t, ` of ${t.total}`);
    if (failure) {
      for (const w of flushWaiters) {
        if (e.seq < w.target) {
          w.failed.push(e.item);
          w.lastFailure = failure;
        }
      }
    }
  }
}
