// The funnel's collector store: one collector thread's trades and state go over its own port to the writer
// thread, and every ack arrives after COMMIT.

import type { StoreOptions, StoreResult, TradeStore } from '../batch/trade-store.ts';
import { ConfigError, WriteFailedError } from '../errors.ts';
import type { CollectorTask } from '../protocol/collector-task.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import type { WriterClient } from '../sender/writer-client.ts';
import { openWriterClient } from '../sender/writer-link.ts';
import type { CollectorStore } from './collector-store.ts';

/** The funnel: trades and state both go over this collector's data port; acks arrive after commit. */
export class FunnelCollectorStore implements CollectorStore {
  readonly trades: TradeStore;

  constructor(private readonly client: WriterClient) {
    this.trades = async (trades: readonly TradeRecord[], options?: StoreOptions): Promise<StoreResult> => {
      const ack = await client.storeTrades(trades, options);
      return { inserted: ack.inserted, duplicates: ack.duplicates, rejected: ack.rejected };
    };
  }

  async writeState(update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }): Promise<void> {
    const ack = await this.client.write(update);
    if (ack.rejected.length > 0)
      throw new WriteFailedError(
        `cursor/gap rows rejected: ${ack.rejected.map((r) => `${r.id}: ${r.reason}`).join('; ')}`,
        undefined,
      );
  }

  lockMetrics(): Promise<LockContentionMetrics | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** A funnel collector's store, on the writer link its task carries. */
export async function openFunnelStore(task: CollectorTask): Promise<CollectorStore> {
  if (!task.link) throw new ConfigError('link', undefined, 'a funnel collector needs its writer link');
  return new FunnelCollectorStore(openWriterClient(task.link, { maxInFlight: task.maxInFlight }));
}
