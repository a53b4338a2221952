// close() with batches in flight from real threads: every acked batch is in the file; credits bound in-flight work.
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { WriterClient } from '../../../src/sender/writer-client.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { readDatabase } from '../../../src/testing/index.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir();

describe('close() with batches in flight', () => {
  it('resolves only after posted batches commit; every acked batch is in the file', async () => {
    const dbPath = path.join(dir, 'close.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await m.initialize();
    const acked: string[] = [];
    const failures: string[] = [];
    let firstAck!: () => void;
    const gotFirstAck = new Promise<void>((r) => (firstAck = r));
    const workers = [];
    for (let w = 0; w < 4; w++) {
      const port = await m.connect();
      const worker = new Worker(new URL('./fixtures/sender-worker.js', import.meta.url), {
        workerData: { port, worker: w, batches: 100, batchSize: 100 },
        transferList: [port],
      });
      worker.on('message', (msg: { kind: string; ids?: string[]; code?: string }) => {
        if (msg.kind === 'acked') {
          acked.push(...msg.ids!);
          firstAck();
        } else if (msg.kind === 'failed') failures.push(msg.code!);
      });
      workers.push({ worker, exited: once(worker, 'exit') });
    }
    // Main-thread batches posted just before close() must be committed and acked, not dropped.
    const mainBatches = [0, 1, 2].map((k) =>
      m.storeTradeDataOptimized(
        Array.from({ length: 50 }, (_, i) => syntheticTrade(10_000_000 + k * 50 + i, { seed: 5 })),
      ),
    );
    await gotFirstAck;
    await m.close();
    const mainResults = await Promise.all(mainBatches);
    expect(mainResults.map((r) => r.inserted)).toEqual([50, 50, 50]);
    await Promise.all(workers.map((w) => w.exited));

    const db = new Database(dbPath, { readonly: true });
    const stored = new Set((db.prepare('SELECT id FROM trades').all() as { id: string }[]).map((r) => r.id));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(acked.length).toBeGreaterThan(0);
    for (const id of acked) expect(stored.has(id)).toBe(true);
    // Batches that were cut off by close() are reported to their sender as failures, never silently lost.
    expect(failures.every((c) => c === 'WRITER_UNAVAILABLE')).toBe(true);
    expect(stored.size).toBe(acked.length + 150);
  });
});

describe('close() leaves only the database file (and its lock file)', () => {
  it('after writes and pooled reads, no -wal, -shm or .spool file stays behind', async () => {
    const own = path.join(dir, 'tidy');
    fs.mkdirSync(own);
    const dbPath = path.join(own, 'tidy.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await m.initialize();
    await m.storeTradeDataOptimized([syntheticTrade(1), syntheticTrade(2)]);
    expect(
      await readDatabase(m, (db) => (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n),
    ).toBe(2);
    await m.close();
    // Only the last connection to close can remove the WAL; it must be the writer's, not a read-only reader's.
    // The lock file stays: removing it could let a run that opened it just before hold a lock nobody else sees.
    expect(fs.readdirSync(own).sort()).toEqual(['tidy.db', 'tidy.db.lock']);
  });
});

describe('WriterClient credits', () => {
  it('never has more than maxInFlight unacked batches and keeps each until its ack', async () => {
    const { port1, port2 } = new MessageChannel();
    const client = new WriterClient(port1, { maxInFlight: 3 });
    const received: number[] = [];
    port2.on('message', (m: { batchId: number }) => received.push(m.batchId));
    // Messages on a port arrive in order: once a marker posted after the client's sends has arrived, every batch
    // the client had sent is in `received`.
    let markers = 0;
    const allDelivered = async () => {
      port1.postMessage({ batchId: -++markers });
      await until(() => received.includes(-markers), 10_000, 'the marker behind the sent batches');
      received.splice(received.indexOf(-markers), 1);
    };
    const results = Array.from({ length: 10 }, (_, i) => client.storeTrades([syntheticTrade(i)]));
    await allDelivered();
    expect(received).toEqual([1, 2, 3]);
    expect(client.inFlight).toBe(3);
    expect(client.unacknowledged().map((b) => b.batchId)).toEqual([1, 2, 3]);
    const ack = (batchId: number) =>
      port2.postMessage({ kind: 'ack', batchId, inserted: 1, duplicates: 0, rejected: [], commitMs: 1 });
    ack(2);
    await until(() => received.length === 4, 10_000, 'the batch the freed credit lets through');
    await allDelivered();
    expect(received).toEqual([1, 2, 3, 4]);
    expect(client.unacknowledged().map((b) => b.batchId)).toEqual([1, 3, 4]);
    port2.postMessage({
      kind: 'nack',
      batchId: 1,
      error: { code: 'WRITE_FAILED', sqliteCode: 'SQLITE_FULL', message: 'database or disk is full' },
    });
    await expect(results[0]).rejects.toMatchObject({ code: 'WRITE_FAILED', sqliteCode: 'SQLITE_FULL' });
    await expect(results[1]).resolves.toMatchObject({ batchId: 2, inserted: 1 });
    port2.close();
    for (const r of results.slice(2)) await expect(r).rejects.toMatchObject({ code: 'WRITER_UNAVAILABLE' });
    port1.close();
  });
});
