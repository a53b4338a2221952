// The `batching: false` rollback switch: no batch processor; each poll's new trades go to the store in one
// write of their own (the cursor follows its ack, as with batching). SQLite settings and the writer stay.

import { type StoreTrades, storeTradesOf, type TradeStore } from '../batch/trade-store.ts';
import { BatchFailedError } from '../errors.ts';
import { DEFAULT_MAX_IN_FLIGHT } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';
import type { TradeSubmitter } from './pool-poller.ts';

export interface UnbatchedStats {
  /** Store calls that completed: one per poll with new trades. */
  writes: number;
  failedWrites: number;
  inserted: number;
  duplicates: number;
  rejected: number;
}

export class UnbatchedTradeSubmitter implements TradeSubmitter {
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly active = new Set<Promise<void>>();
  private readonly totals: UnbatchedStats = { writes: 0, failedWrites: 0, inserted: 0, duplicates: 0, rejected: 0 };
  private readonly storeTrades: StoreTrades;

  /** `maxInFlight` bounds writes not yet acked (bounded memory): the next poll's `accepted` waits for room. */
  constructor(
    store: TradeStore,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {
    this.storeTrades = storeTradesOf(store);
  }

  submitTrades(trades: readonly TradeRecord[]): { accepted: Promise<void>; done: Promise<void> } {
    const items = [...trades];
    const accepted = this.takeSlot();
    const done = accepted.then(() => this.write(items));
    this.active.add(done);
    // Callers observe `done`; tracking it here must not turn a failure into an unhandled rejection.
    done.then(
      () => this.active.delete(done),
      () => this.active.delete(done),
    );
    return { accepted, done };
  }

  /** Nothing is buffered: resolves once every write so far is settled. */
  async flushTrades(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }

  close(): Promise<void> {
    return this.flushTrades();
  }

  getStats(): UnbatchedStats {
    return { ...this.totals };
  }

  private async takeSlot(): Promise<void> {
    while (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.inFlight++;
  }

  private async write(items: TradeRecord[]): Promise<void> {
    try {
      const r = await this.storeTrades(items);
      this.totals.writes++;
      this.totals.inserted += r.inserted;
      this.totals.duplicates += r.duplicates;
      this.totals.rejected += r.rejected.length;
    } catch (err) {
      this.totals.failedWrites++;
      // Same shape as the batch processor's give-up: the poller rolls these trades back and refetches them.
      throw new BatchFailedError(
        `storing ${items.length} trades failed: ${err instanceof Error ? err.message : String(err)}`,
        items,
        1,
        { cause: err },
      );
    } finally {
      this.inFlight--;
      this.slotWaiters.shift()?.();
    }
  }
}
