// The writer adds a minimal pools row for a trade's pool only when the foreign key finds it missing: new pools in
// a multi-row run and in the row-by-row redo of a run that hit another row's error, nothing else refused.
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticPoolId, syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { openTestEngine } from '../../support/writer-engine.ts';

const { db, write, close } = openTestEngine('pools-on-demand.db');
afterAll(close);
const count = (sql: string, ...args: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...args) as number;
/** Trades of `pools` pools numbered from `first` (synthetic trade i belongs to pool i % pools). */
const trades = (n: number, from: number, pools: number): TradeRecord[] =>
  Array.from({ length: n }, (_, i) => syntheticTrade(from + i, { seed: 5, pools }));

describe('pools added on demand', () => {
  it('stores trades of pools nobody described, each pool once, every foreign key holding', async () => {
    const first = trades(120, 0, 7);
    const ack = await write({ trades: first });
    expect(ack).toMatchObject({ inserted: 120, duplicates: 0, rejected: [] });
    expect(count('SELECT count(*) FROM pools')).toBe(7);
    expect(count("SELECT count(*) FROM pools WHERE discovery_source = 'trades'")).toBe(7);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // Known pools: nothing added again.
    expect(await write({ trades: trades(30, 500, 7) })).toMatchObject({ inserted: 30 });
    expect(count('SELECT count(*) FROM pools')).toBe(7);
  });

  it('adds the pool in the row-by-row redo too, and refuses only the row SQLite refused', async () => {
    const batch = trades(40, 1000, 11); // pools 7…10 are new here
    const refused = batch[13]!.id;
    db.exec(`CREATE TEMP TRIGGER refuse_one BEFORE INSERT ON trades WHEN NEW.id = '${refused}'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    try {
      const ack = await write({ trades: batch });
      expect(ack).toMatchObject({ inserted: 39, duplicates: 0 });
      expect(ack.rejected).toEqual([{ id: refused, reason: 'refused by the test' }]);
    } finally {
      db.exec('DROP TRIGGER refuse_one');
    }
    expect(count('SELECT count(*) FROM pools')).toBe(11);
    expect(count('SELECT count(*) FROM trades WHERE pool_id = ?', syntheticPoolId(10))).toBeGreaterThan(0);
    expect(count('SELECT count(*) FROM trades')).toBe(120 + 30 + 39);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });
});
