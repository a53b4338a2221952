// One producer thread of the load harness: generates its share of trades up front, waits for "go", then
// stores them in batches through the funnel (its own writer port) or the direct way (its own connection).

import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { LatencyRecorder } from '../src/common/latency-recorder.ts';
import { lowerThisThreadPriority } from '../src/common/thread-priority.ts';
import type { TradeRecord } from '../src/protocol/records.ts';
import { WriterClient } from '../src/sender/writer-client.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import type { HarnessToProducer, ProducerData, ProducerToHarness } from './load-protocol.ts';
import { ownThreadTimes, timesBetween } from './thread-cpu.ts';

const data = workerData as ProducerData;
// As a collector thread does: the writer, which every producer waits on, gets the CPU first.
const priority = lowerThisThreadPriority(data.nice);
if (!priority.applied)
  process.emitWarning(`producer ${data.producer}: nice ${data.nice} not applied: ${priority.reason}`);
const port = parentPort!;
const send = (m: ProducerToHarness) => port.postMessage(m);

const makeBatch = (start: number): TradeRecord[] =>
  Array.from(data.indices.subarray(start, start + data.batchSize), (idx) => syntheticTrade(idx, { seed: data.seed }));
const starts: number[] = [];
for (let i = 0; i < data.indices.length; i += data.batchSize) starts.push(i);
// Eager generation keeps trade generation out of the timed part; lazy keeps memory flat for huge runs.
const prebuilt = data.lazy ? undefined : starts.map(makeBatch);
function* batchesInOrder(): Generator<TradeRecord[]> {
  for (let k = 0; k < starts.length; k++) yield prebuilt ? prebuilt[k]! : makeBatch(starts[k]!);
}

// Imported only for direct runs: a funnel producer (a stand-in for a collector) never loads better-sqlite3.
let direct: import('../src/direct/direct-manager.ts').DirectDatabaseManager | undefined;
if (data.manager === 'direct') {
  const { DirectDatabaseManager } = await import('../src/direct/direct-manager.ts');
  // Patient retries: the harness measures how much contention costs, it must not lose rows to give-ups.
  direct = new DirectDatabaseManager({ ...data.dbConfig, url: data.dbUrl }, { maxRetries: 500, maxDelayMs: 1000 });
  await direct.initialize();
}

send({ kind: 'ready' });
await new Promise<void>((resolve) => port.once('message', (m: HarnessToProducer) => m.kind === 'go' && resolve()));

const thread0 = ownThreadTimes();
const latency = new LatencyRecorder(4096);
const totals = { batches: 0, inserted: 0, duplicates: 0, rejected: 0, failedBatches: 0 };
const started = performance.now();
const pace = async (sentRows: number) => {
  if (data.ratePerSec <= 0) return;
  const due = started + (sentRows / data.ratePerSec) * 1000;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
};

if (direct) {
  let sent = 0;
  for (const batch of batchesInOrder()) {
    await pace(sent);
    sent += batch.length;
    const t0 = performance.now();
    try {
      const r = await direct.storeTradeData(batch);
      totals.inserted += r.inserted;
      totals.duplicates += r.duplicates;
      totals.rejected += r.rejected.length;
      totals.batches++;
    } catch {
      totals.failedBatches++;
    }
    latency.record(performance.now() - t0);
  }
} else {
  const client = new WriterClient(data.port!, { maxInFlight: data.maxInFlight });
  const window = new Set<Promise<void>>();
  let sent = 0;
  for (const batch of batchesInOrder()) {
    await pace(sent);
    sent += batch.length;
    const t0 = performance.now();
    // One cursor per batch, as a collector moves its pool's cursor once per poll: the writer's guard runs too.
    const last = batch[batch.length - 1]!;
    const cursor = {
      poolId: last.poolId,
      lastTradeId: last.id,
      lastTradeTimestamp: last.blockTimestamp,
      polledAt: last.blockTimestamp,
    };
    const p: Promise<void> = client
      .write({ trades: batch, cursors: [cursor] })
      .then(
        (ack) => {
          latency.record(performance.now() - t0);
          totals.inserted += ack.inserted;
          totals.duplicates += ack.duplicates;
          totals.rejected += ack.rejected.length;
          totals.batches++;
        },
        () => {
          totals.failedBatches++;
        },
      )
      .finally(() => window.delete(p));
    window.add(p);
    if (window.size >= data.maxInFlight) await Promise.race(window);
  }
  await Promise.all(window);
  await client.close();
}

const summary = latency.summary();
const thread1 = ownThreadTimes();
send({
  kind: 'done',
  ...totals,
  latency: summary,
  latencySamples: latency.sample(),
  ...(direct ? { direct: await direct.getLockContentionMetrics() } : {}),
  thread: thread0 && thread1 ? { tid: thread1.tid, times: timesBetween(thread0.times, thread1.times) } : null,
});
await direct?.close();
