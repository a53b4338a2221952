// Where one collector thread's trades and cursors go: the interface both ways of storing them implement (the
// funnel's FunnelCollectorStore, and the rollback path's DirectCollectorStore in src/direct/).

import type { TradeStore } from '../batch/trade-store.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { StateSink } from './pool-poller.ts';

/** Trades and state of one collector, whichever way they are stored. */
export interface CollectorStore extends StateSink {
  trades: TradeStore;
  /** Lock metrics of this collector's own connection (direct mode); undefined in the funnel. */
  lockMetrics(): Promise<LockContentionMetrics | undefined>;
  /** Waits for everything sent to be committed, then closes ports/connections. */
  close(): Promise<void>;
}
