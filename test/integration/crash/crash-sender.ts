// Sender thread of the crash child: stores numbered batches of distinct deterministic trades through its
// writer link and, the moment a batch is acked (committed or durably deferred), writes its ACK line to fd 1.

import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { WriterLink } from '../../../src/protocol/messages.ts';
import { openWriterClient } from '../../../src/sender/writer-link.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { BATCHES_PER_SENDER, firstTradeIndex, formatAck } from './crash-plan.ts';

export interface CrashSenderData {
  link: WriterLink;
  cycle: number;
  worker: number;
  batchSize: number;
  pauseMs: number;
  seed: number;
  maxInFlight: number;
}

const { link, cycle, worker, batchSize, pauseMs, seed, maxInFlight } = workerData as CrashSenderData;
const client = openWriterClient(link, { maxInFlight, deferRetryMs: 100 });

// Straight to the fd, not process.stdout (which a worker forwards through the main thread asynchronously):
// once writeSync returns the line is in the pipe, so an ack the kill interrupts is still seen by the parent.
function emit(line: string): void {
  fs.writeSync(1, line);
}

const outstanding = new Set<Promise<void>>();
for (let batch = 0; batch < BATCHES_PER_SENDER; batch++) {
  // Bound what this thread holds (the client bounds what is in flight; this bounds the callers waiting on it).
  while (outstanding.size >= maxInFlight) await Promise.race(outstanding);
  const first = firstTradeIndex(cycle, worker, batch, batchSize);
  const trades = Array.from({ length: batchSize }, (_, k) => syntheticTrade(first + k, { seed }));
  const sent: Promise<void> = client.storeTrades(trades).then(
    (ack) => {
      const route = ack.deferred === true ? 'deferred' : 'committed';
      emit(formatAck({ cycle, worker, batch, first, count: batchSize, route, rejected: ack.rejected.length }));
      parentPort!.postMessage({ kind: 'ack', deferred: ack.deferred === true });
    },
    (err: Error) => emit(`FAIL ${worker} ${batch} ${err.message.replace(/\s+/g, ' ')}\n`),
  );
  const tracked = sent.finally(() => outstanding.delete(tracked));
  outstanding.add(tracked);
  if (pauseMs > 0) await sleep(pauseMs);
}
await Promise.all(outstanding);
// Out of index space for this (cycle, worker): stay alive and idle; the parent kills the process.
parentPort!.postMessage({ kind: 'exhausted' });
