// The writer thread's service, the same for both engines: data ports (one per sender) bring batches to the one
// group-commit loop; the main thread drives it over comlink (open, attach, metrics, drain, close). A thread entry
// (workers/*-writer-thread.ts) calls serveWriter with its engine's opener.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { StateError } from '../errors.ts';
import { componentLogger } from '../logging/logger.ts';
import { adoptThreadLogLink } from '../logging/thread-logs.ts';
import { BreakerStateView } from '../protocol/breaker-gate.ts';
import type {
  WriterControl,
  WriterMetrics,
  WriterOpenInfo,
  WriterThreadData,
  WriterWiring,
} from '../protocol/messages.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { WriteEngine } from '../storage/write-engine.ts';
import { DataPorts, settle } from './data-ports.ts';
import { GroupCommitWriter } from './group-commit-writer.ts';

const CLOSE_SETTLE_MS = 200;

/**
 * Exposes the writer's control surface on this thread's parentPort. `more` adds an engine's own calls (the SQLite
 * writer's page limit for fault drills), given the open engine.
 */
export function serveWriter<E extends WriteEngine>(
  name: 'sqlite' | 'postgres',
  openEngine: (settings: WriterSettings, log: ReturnType<typeof componentLogger>) => Promise<E>,
  more: (engine: () => E) => object = () => ({}),
): void {
  if (!parentPort) throw new Error('a writer thread entry must run as a worker thread');
  adoptThreadLogLink((workerData as WriterThreadData | null)?.log);
  const log = componentLogger('writer', { engine: name });
  const ports = new DataPorts(log);
  let engine: E | undefined;
  let loop: GroupCommitWriter | undefined;
  let outcomes: MessagePort | undefined;
  const open = () => {
    if (!engine || !loop) throw new StateError('writer is not open');
    return { engine, loop };
  };

  const control: WriterControl = {
    async open(s: WriterSettings, wiring: WriterWiring = {}): Promise<WriterOpenInfo> {
      if (engine) throw new StateError('writer is already open');
      const opened = await openEngine(s, log);
      outcomes = wiring.outcomes;
      const outcomePort = outcomes;
      engine = opened;
      loop = new GroupCommitWriter(opened, s, log, {
        ...(wiring.gate ? { gate: BreakerStateView.fromShared(wiring.gate) } : {}),
        ...(outcomePort ? { onOutcome: (o) => outcomePort.postMessage(o) } : {}),
      });
      return opened.info;
    },

    attach(port: MessagePort): void {
      ports.attach(port, open().loop);
    },

    getMetrics(): WriterMetrics {
      const { engine: e, loop: l } = open();
      const c = l.counters;
      return {
        transactions: c.transactions,
        batchesCommitted: c.batchesCommitted,
        batchesFailed: c.batchesFailed,
        tradeBatches: c.tradeBatches,
        tradeRows: c.tradeRows,
        tradeBatchesByReason: structuredClone(c.tradeBatchesByReason),
        tradeBatchSizes: [...c.tradeBatchSizes],
        rowsInserted: c.rowsInserted,
        duplicates: c.duplicates,
        conflicts: c.conflicts,
        conflictsByPool: Object.fromEntries(l.conflictsByPool),
        rejected: c.rejected,
        retries: c.retries,
        lockErrors: c.lockErrors,
        backlogBatches: l.backlog,
        commitMs: l.commitLatency.summary(),
        avgBatchesPerTransaction: c.transactions ? c.batchesInTransactions / c.transactions : 0,
        connectedPorts: ports.size,
        engine: e.figures(),
      };
    },

    async drain(): Promise<void> {
      await settle(open().loop, Number.POSITIVE_INFINITY);
    },

    async close(): Promise<void> {
      if (!engine || !loop) return;
      // Batches posted before close() may still sit in port queues; senders that keep posting while we close
      // would keep us open forever, so after a short settle newer batches are nacked (senders keep them).
      await settle(loop, CLOSE_SETTLE_MS);
      await loop.close();
      ports.closeAll();
      outcomes?.close();
      outcomes = undefined;
      engine = undefined;
      loop = undefined;
      log.info('writer closed');
    },
  };

  Comlink.expose({ ...control, ...more(() => open().engine) }, nodeEndpoint(parentPort));
}
