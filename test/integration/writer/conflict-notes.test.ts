// The writer's INSERT notes a duplicate id with other contents as it meets it (its ON CONFLICT clause): a
// difference in any field (the block number's integer too), a field missing on the stored
// side not counted, two versions inside one batch, and the stored version never touched.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { openTestEngine } from '../../support/writer-engine.ts';

const { db, engine, write, close } = openTestEngine('conflict-notes.db');
afterAll(close);
const batch = (trades: TradeRecord[]) => ({ trades });
const stored = (id: string) => db.prepare('SELECT * FROM trades WHERE id = ?').get(id) as Record<string, unknown>;

describe('conflicts noted by the INSERT', () => {
  const base = Array.from({ length: 60 }, (_, i) => syntheticTrade(i, { seed: 21 }));

  it('counts only the duplicates whose contents differ, in one batch or another, and keeps the first version', async () => {
    expect(await write(batch(base))).toMatchObject({ inserted: 60, duplicates: 0 });
    const before = base.map((t) => stored(t.id));
    const changed: TradeRecord[] = base.map((t, i) =>
      i === 3
        ? { ...t, priceUsd: '777.5' }
        : i === 17
          ? { ...t, blockNumber: (t.blockNumber as number) + 1 }
          : i === 40
            ? { ...t, side: t.side === 'buy' ? 'sell' : 'buy' }
            : t,
    );
    const firstAck = await write(batch(changed));
    expect(firstAck).toMatchObject({ inserted: 0, duplicates: 60, conflicts: 3 });
    const secondAck = await write({ trades: [changed[3]!, changed[5]!, syntheticTrade(60, { seed: 21 })] });
    expect(secondAck).toMatchObject({ inserted: 1, duplicates: 2, conflicts: 1 });
    expect(base.map((t) => stored(t.id))).toEqual(before);
    expect(engine.counters.conflicts).toBe(4);
  });

  it('does not count a field the stored row lacks, and finds the second version inside one batch', async () => {
    const t = syntheticTrade(100, { seed: 21 });
    expect(await write({ trades: [{ ...t, txFromAddress: null }] })).toMatchObject({ inserted: 1 });
    const before = engine.counters.conflicts;
    expect(await write(batch([t]))).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(engine.counters.conflicts).toBe(before);
    const u = syntheticTrade(101, { seed: 21 });
    const ack = await write(batch([u, { ...u, volumeUsd: '1.5' }]));
    expect(ack).toMatchObject({ inserted: 1, duplicates: 1, conflicts: 1 });
    expect(engine.counters.conflicts).toBe(before + 1);
    expect(stored(u.id).volume_usd_exact).toBe(u.volumeUsd);
  });

  it('leaves the stored file as another program reads it: no row updated by a duplicate', async () => {
    const changesBefore = db.prepare('SELECT total_changes()').pluck().get() as number;
    await write(batch(base.slice(0, 10).map((t) => ({ ...t, priceUsd: '1.0' }))));
    // The transaction wrote nothing: no insert, no update of a kept row.
    expect(db.prepare('SELECT total_changes()').pluck().get()).toBe(changesBefore);
    const read = new Database(db.name, { readonly: true });
    try {
      expect(read.prepare('SELECT count(*) FROM trades').pluck().get()).toBe(63);
    } finally {
      read.close();
    }
  });
});
