// How the funnel reacts to faults: the writer's outcomes and crashes drive the breaker, the breaker drives the
// spool's replay, and a storage failure for good closes the spool gateway to every sender.

import type { Logger } from 'pino';
import type { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import { WriteFailedError } from '../errors.ts';
import type { DurationHistogram } from '../monitoring/duration-histogram.ts';
import type { TransactionOutcome } from '../protocol/messages.ts';
import type { DeferredQueue, ReplayResult } from '../spool/deferred-queue.ts';
import { SpoolGateway } from '../spool/spool-gateway.ts';
import { StorageWatch } from './storage-watch.ts';
import type { WriterSupervisor } from './writer-supervisor.ts';

/** The spool's gateway, watched: once storage failed for good, deferrals are refused and the breaker isolated. */
export function watchedSpoolGateway(
  dbPath: string | undefined,
  spoolPath: string,
  queue: DeferredQueue,
  breaker: CircuitBreaker,
  log: Logger,
): { watch: StorageWatch; gateway: SpoolGateway } {
  const watch = new StorageWatch(dbPath, spoolPath, log.child({ component: 'storage' }));
  const gateway = new SpoolGateway(queue, breaker, log.child({ component: 'spool-gateway' }), (err) =>
    watch.noteSpoolFailure(err),
  );
  watch.onFailure((f) => {
    // Nothing more goes to a file that is gone, or to a spool that cannot keep it: senders give batches up.
    gateway.refuseAll(f.message);
    breaker.isolate();
  });
  watch.start();
  return { watch, gateway };
}

export function wireFaultHandling(f: {
  supervisor: WriterSupervisor;
  breaker: CircuitBreaker;
  watch: StorageWatch;
  commitSeconds: DurationHistogram;
  replay: (maxBatches?: number) => Promise<ReplayResult | undefined>;
  /** Batches waiting in the spool. */
  spooled: () => number;
  afterRestart: () => Promise<void>;
  log: Logger;
}): void {
  const { supervisor, breaker, log } = f;
  supervisor.on('outcome', (o: TransactionOutcome) => {
    if (o.ok) {
      f.commitSeconds.observe(o.commitMs / 1000);
      // Half-open: trials from several senders may share one transaction; each batch is a trial that succeeded.
      breaker.recordSuccess(o.batches);
      return;
    }
    f.watch.noteWriteFailure(o.error);
    breaker.recordFailure(new WriteFailedError(o.error?.message ?? 'write failed', o.error?.sqliteCode));
  });
  supervisor.on('crashed', (err) => breaker.recordFailure(err));
  supervisor.on('restarted', () => void f.afterRestart());
  supervisor.on('gaveUp', () => breaker.isolate());
  breaker.on('open', (e) =>
    log.warn({ reason: e.reason, openMs: e.openMs }, 'circuit breaker opened; writes are deferred'),
  );
  // The oldest spooled batch makes the best trial, and takes a trial slot like any sender's batch; a replay that
  // wrote nothing gives it back.
  breaker.on('halfOpen', () => {
    if (f.spooled() === 0 || !breaker.canPass()) return;
    void f.replay(1).then((r) => {
      if (!r || r.replayed + r.failed === 0) breaker.returnTrial();
    });
  });
  breaker.on('close', () => {
    log.info('circuit breaker closed; replaying deferred writes');
    void f.replay();
  });
}
