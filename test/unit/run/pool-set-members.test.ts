// How a running collection's pool set changes: market pools wait out their grace period, file pools go at once,
// a slot given back is reused only from the next change on, and a full table refuses a pool rather than overrun.
import { describe, expect, it } from 'vitest';
import type { MembershipSource } from '../../../src/protocol/records.ts';
import { PoolSetMembers } from '../../../src/run/pool-set-members.ts';

const wanted = (entries: [string, MembershipSource][]) => new Map(entries);
const members = (capacity = 8, graceMs = 1000) => {
  const m = new PoolSetMembers(capacity, graceMs, (a) => `solana_${a}`);
  m.seed(
    [
      { address: 'a', poolId: 'solana_a', cursor: null, recentIds: [], index: 0 },
      { address: 'b', poolId: 'solana_b', cursor: null, recentIds: [], index: 1 },
    ],
    (a) => (a === 'a' ? 'top' : 'file'),
  );
  return m;
};

describe('PoolSetMembers', () => {
  it('drops a pool that left the top list only after its grace period', () => {
    const m = members();
    const t0 = 10_000;
    let change = m.update(wanted([['b', 'file']]), t0);
    expect(change.left).toEqual([]);
    expect(change.waiting).toBe(1);
    change = m.update(wanted([['b', 'file']]), t0 + 999);
    expect(change.left).toEqual([]);
    change = m.update(wanted([['b', 'file']]), t0 + 1000);
    expect(change.left.map((x) => x.poolId)).toEqual(['solana_a']);
    expect(m.addresses()).toEqual(['b']);
  });

  it('keeps a market pool that comes back within its grace period', () => {
    const m = members();
    m.update(wanted([['b', 'file']]), 0);
    m.update(
      wanted([
        ['a', 'top'],
        ['b', 'file'],
      ]),
      500,
    );
    expect(m.update(wanted([['b', 'file']]), 1200).left).toEqual([]);
  });

  it('drops a pool taken out of the file at once and reuses its slot from the next change on', () => {
    const m = members();
    const first = m.update(
      wanted([
        ['a', 'top'],
        ['c', 'file'],
      ]),
      0,
    );
    expect(first.left.map((x) => x.slot)).toEqual([1]);
    expect(first.joined.map((x) => [x.poolId, x.slot])).toEqual([['solana_c', 2]]);
    const next = m.update(
      wanted([
        ['a', 'top'],
        ['c', 'file'],
        ['d', 'new'],
      ]),
      1,
    );
    expect(next.joined.map((x) => [x.poolId, x.slot, x.source])).toEqual([['solana_d', 1, 'new']]);
  });

  it('refuses pools beyond its slots', () => {
    const m = members(3);
    const change = m.update(
      wanted([
        ['a', 'top'],
        ['b', 'file'],
        ['c', 'top'],
        ['d', 'top'],
      ]),
      0,
    );
    expect(change.joined.map((x) => x.address)).toEqual(['c']);
    expect(change.refused).toEqual(['d']);
  });
});
