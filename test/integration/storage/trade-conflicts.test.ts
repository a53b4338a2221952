// The same trade id received again with other contents is a conflict, not a plain duplicate: counted (in the
// ack, overall and per pool in the writer's metrics), logged once with both versions, and the first version kept.
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-conflicts-');

const trade = (n: number, priceUsd = '1.25'): TradeRecord => ({
  id: `solana_${n}_tx${n}_0_1796200000`,
  poolId: 'solana_poolc',
  blockNumber: 500 + n,
  txHash: `tx${n}`,
  txFromAddress: 'from1',
  fromTokenAmount: '10.5',
  toTokenAmount: '2',
  priceUsd,
  volumeUsd: '13.125',
  side: 'sell',
  blockTimestamp: '2026-12-02T10:00:00Z',
});

describe('same id, other contents', () => {
  it('is counted as a conflict per batch, per pool and overall, logged once with both versions, first version kept', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const db = path.join(dir, 'conflicts.db');
    const m = new LockOptimizedDatabaseManager(
      { url: urlFromDatabasePath(db) },
      { logger: pino({ level: 'warn' }, sink) },
    );
    await m.initialize();
    const first = await m.write({ trades: [trade(1), trade(2)] });
    expect(first).toMatchObject({ inserted: 2, duplicates: 0 });
    expect(first.conflicts).toBeUndefined();
    const again = await m.write({ trades: [trade(1), trade(2, '9.75'), trade(3)] });
    expect(again).toMatchObject({ inserted: 1, duplicates: 2, conflicts: 1 });
    // Sent once more (a sender's retry): counted again, not logged again.
    expect(await m.write({ trades: [trade(2, '9.75')] })).toMatchObject({ inserted: 0, duplicates: 1, conflicts: 1 });
    const snapshot = await m.getMetricsSnapshot();
    expect(snapshot.writer.conflicts).toBe(2);
    expect(snapshot.writer.conflictsByPool).toEqual({ solana_poolc: 2 });
    await m.close();

    const logged = lines.filter((l) => l.msg === 'same trade id with different contents: the first version is kept');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      id: trade(2).id,
      poolId: 'solana_poolc',
      differs: ['priceUsd'],
      kept: { priceUsd: '1.25', blockNumber: '502', side: 'sell' },
      received: { priceUsd: '9.75', blockNumber: '502', side: 'sell' },
    });
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT price_usd_exact FROM trades WHERE id = ?').pluck().get(trade(2).id)).toBe('1.25');
    d.close();
  });
});
