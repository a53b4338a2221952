// The same trade id received again with other contents is a conflict, not a plain duplicate: counted (in the
// ack, overall and per pool in the writer's metrics), logged once with both versions, and the first version kept.
// The same on SQLite and on PostgreSQL (both of its write paths: unnest per batch, and COPY for a large group).
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { testSchema } from '../../support/postgres.ts';
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

type Store = 'sqlite' | 'postgres';

/** A manager on a fresh database of `store`, logging warnings into `lines`; and how to read a stored price. */
async function open(store: Store, lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'warn' }, sink);
  if (store === 'sqlite') {
    const db = path.join(dir, `conflicts-${Math.random()}.db`);
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db) }, { logger });
    await m.initialize();
    const priceOf = async (id: string) => {
      const d = new Database(db, { readonly: true });
      try {
        return d.prepare('SELECT price_usd_exact FROM trades WHERE id = ?').pluck().get(id) as string;
      } finally {
        d.close();
      }
    };
    return { m, priceOf };
  }
  const t = await testSchema();
  const m = new LockOptimizedDatabaseManager(
    { url: t.url },
    { logger, deferred: { path: path.join(dir, `${Math.random()}.spool`) } },
  );
  await m.initialize();
  const priceOf = async (id: string) =>
    (await t.query<{ p: string }>('SELECT price_usd::text AS p FROM trades WHERE id = $1', [id]))[0]!.p;
  return { m, priceOf };
}

const CONFLICT_LOG = 'same trade id with different contents: the first version is kept';

describe.each<Store>(['sqlite', 'postgres'])('same id, other contents (%s)', (store) => {
  it('is counted as a conflict per batch, per pool and overall, logged once with both versions, first version kept', async () => {
    const lines: Record<string, unknown>[] = [];
    const { m, priceOf } = await open(store, lines);
    const first = await m.write({ trades: [trade(1), trade(2)] });
    expect(first).toMatchObject({ inserted: 2, duplicates: 0 });
    expect(first.conflicts).toBeUndefined();
    const again = await m.write({ trades: [trade(1), trade(2, '9.75'), trade(3)] });
    expect(again).toMatchObject({ inserted: 1, duplicates: 2, conflicts: 1 });
    // Sent once more (a sender's retry): counted again, not logged again.
    expect(await m.write({ trades: [trade(2, '9.75')] })).toMatchObject({ inserted: 0, duplicates: 1, conflicts: 1 });
    // A field missing on one side is no difference.
    expect(await m.write({ trades: [{ ...trade(1), txFromAddress: null }] })).toMatchObject({ duplicates: 1 });
    // Amounts compare as numbers and times as instants, whatever their text: the same trade, written otherwise.
    const sameTrade = await m.write({
      trades: [
        {
          ...trade(1),
          priceUsd: '1.250',
          fromTokenAmount: '1.05e1',
          toTokenAmount: '02',
          blockTimestamp: '2026-12-02T11:00:00+01:00',
        },
      ],
    });
    expect(sameTrade).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(sameTrade.conflicts).toBeUndefined();
    const snapshot = await m.getMetricsSnapshot();
    expect(snapshot.writer.conflicts).toBe(2);
    expect(snapshot.writer.conflictsByPool).toEqual({ solana_poolc: 2 });
    expect(await priceOf(trade(2).id)).toBe('1.25');
    await m.close();

    const logged = lines.filter((l) => l.msg === CONFLICT_LOG);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      id: trade(2).id,
      poolId: 'solana_poolc',
      differs: ['priceUsd'],
      kept: { priceUsd: '1.25', blockNumber: '502', side: 'sell' },
      received: { priceUsd: '9.75', blockNumber: '502', side: 'sell' },
    });
  });
});

describe('same id, other contents (postgres, groups of COPY_MIN_ROWS rows or more: COPY)', () => {
  it('finds the conflicts of a group written by COPY, a second version inside the group included', async () => {
    const lines: Record<string, unknown>[] = [];
    const { m, priceOf } = await open('postgres', lines);
    const many = Array.from({ length: 1200 }, (_, i) => trade(100 + i));
    expect(await m.write({ trades: many })).toMatchObject({ inserted: 1200, duplicates: 0 });
    const changed = many.map((t, i) =>
      i === 7 ? { ...t, side: 'buy' as const } : i === 300 ? { ...t, blockTimestamp: '2026-12-02T10:00:01Z' } : t,
    );
    const fresh = trade(5000);
    const ack = await m.write({ trades: [...changed, fresh, { ...fresh, priceUsd: '2.5' }] });
    expect(ack).toMatchObject({ inserted: 1, duplicates: 1201, conflicts: 3 });
    expect((await m.getMetricsSnapshot()).writer.conflicts).toBe(3);
    expect(await priceOf(fresh.id)).toBe('1.25');
    await m.close();
    const logged = lines.filter((l) => l.msg === CONFLICT_LOG);
    expect(logged.map((l) => l.differs).sort()).toEqual([['blockTimestamp'], ['priceUsd'], ['side']]);
    expect(logged.find((l) => (l.differs as string[])[0] === 'blockTimestamp')).toMatchObject({
      kept: { blockTimestamp: '2026-12-02 10:00:00.000000' },
      received: { blockTimestamp: '2026-12-02 10:00:01.000000' },
    });
  });

  it('finds conflicts in a batch written again row by row after the server refused one of its rows', async () => {
    const { m } = await open('postgres', []);
    expect(await m.write({ trades: [trade(1), trade(2)] })).toMatchObject({ inserted: 2 });
    // PostgreSQL text cannot hold a NUL byte: the batch goes again under savepoints, that row refused.
    const nul = { ...trade(3), txHash: 'a\u0000b' };
    const ack = await m.write({ trades: [trade(1), trade(2, '7.5'), nul, trade(4)] });
    expect(ack).toMatchObject({ inserted: 1, duplicates: 2, conflicts: 1 });
    expect(ack.rejected.map((r) => r.id)).toEqual([nul.id]);
    await m.close();
  });
});
