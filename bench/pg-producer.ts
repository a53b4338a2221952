// One producer thread of the PostgreSQL comparison (bench/pg-compare.ts): builds its share of batches up front,
// waits for "go", then stores them through the funnel (its own writer port) or the direct way (its own
// connection, each batch one autocommitted INSERT … SELECT FROM unnest ON CONFLICT DO NOTHING).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { LatencyRecorder } from '../src/common/latency-recorder.ts';
import type { LatencySummary } from '../src/protocol/messages.ts';
import type { TradeRecord } from '../src/protocol/records.ts';
import type { PostgresSettings } from '../src/protocol/writer-settings.ts';
import { WriterClient } from '../src/sender/writer-client.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { connectPg } from '../src/storage/postgres/connection.ts';
import { INSERT_TRADES, tradeArrays } from '../src/storage/postgres/trade-statements.ts';
import { TRADE_FIELDS, validateTrade } from '../src/trades/trade-validation.ts';

export interface PgProducerData {
  mode: 'funnel' | 'direct';
  port?: MessagePort;
  postgres?: PostgresSettings;
  /** First trade index of each of this producer's batches. */
  starts: number[];
  batchSize: number;
  seed: number;
  maxInFlight: number;
}

export type PgProducerMessage =
  | { kind: 'ready' }
  | { kind: 'done'; inserted: number; duplicates: number; failed: number; latency: LatencySummary };

const data = workerData as PgProducerData;
const port = parentPort!;
const batches: TradeRecord[][] = data.starts.map((s) =>
  Array.from({ length: data.batchSize }, (_, i) => syntheticTrade(s + i, { seed: data.seed })),
);
const latency = new LatencyRecorder(8192);
const totals = { inserted: 0, duplicates: 0, failed: 0 };

if (data.mode === 'direct') {
  const client = await connectPg(data.postgres!, { purpose: 'bench-direct' });
  // The same validated values the writer binds, made before "go".
  const params = batches.map((b) => {
    const flat: unknown[] = [];
    b.forEach((t, i) => {
      const v = validateTrade(t, i);
      if (v.ok) flat.push(...v.row);
    });
    return tradeArrays(
      flat,
      Array.from({ length: flat.length / TRADE_FIELDS }, (_, i) => i * TRADE_FIELDS),
    );
  });
  await client.query(
    `INSERT INTO dexes (id, name, network) VALUES ('unknown', 'unknown', 'unknown') ON CONFLICT DO NOTHING`,
  );
  port.postMessage({ kind: 'ready' } satisfies PgProducerMessage);
  await new Promise<void>((r) => port.once('message', () => r()));
  for (let k = 0; k < params.length; k++) {
    const t0 = performance.now();
    try {
      const r = await client.query({ ...INSERT_TRADES, values: params[k]! });
      totals.inserted += r.rowCount ?? 0;
      totals.duplicates += batches[k]!.length - (r.rowCount ?? 0);
    } catch {
      totals.failed++;
    }
    latency.record(performance.now() - t0);
  }
  await client.end();
} else {
  const client = new WriterClient(data.port!, { maxInFlight: data.maxInFlight });
  port.postMessage({ kind: 'ready' } satisfies PgProducerMessage);
  await new Promise<void>((r) => port.once('message', () => r()));
  const window = new Set<Promise<void>>();
  for (const batch of batches) {
    const t0 = performance.now();
    const p: Promise<void> = client.storeTrades(batch).then(
      (ack) => {
        totals.inserted += ack.inserted;
        totals.duplicates += ack.duplicates;
        if (ack.deferred) totals.failed++;
        latency.record(performance.now() - t0);
      },
      () => {
        totals.failed++;
      },
    );
    const tracked = p.finally(() => window.delete(tracked));
    window.add(tracked);
    if (window.size >= data.maxInFlight) await Promise.race(window);
  }
  await Promise.all(window);
  await client.close();
}
port.postMessage({ kind: 'done', ...totals, latency: latency.summary() } satisfies PgProducerMessage);
