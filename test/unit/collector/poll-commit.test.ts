// A poll's commit once its trades are stored: the cursor and the gap in one write; trades that failed roll the
// window back (the next answer offers them again) and leave the cursor unwritten; a pool no longer held writes
// neither.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type CommitTarget, commitPoll } from '../../../src/collector/poll-commit.ts';
import { TradeWindow } from '../../../src/collector/trade-window.ts';
import { BatchFailedError } from '../../../src/errors.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../../../src/protocol/records.ts';

const POOL = 'solana_pool';

function trade(n: number): TradeRecord {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString().replace('.000Z', 'Z');
  return {
    id: `t${n}`,
    poolId: POOL,
    blockNumber: n,
    txHash: `h${n}`,
    txFromAddress: null,
    fromTokenAmount: '1',
    toTokenAmount: '1',
    priceUsd: '1',
    volumeUsd: '1',
    side: 'buy',
    blockTimestamp: ts,
  };
}

function setup(held = true) {
  const writes: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }[] = [];
  const counts = new Map<string, number>();
  const stored: number[] = [];
  const target: CommitTarget = {
    assignment: { poolId: POOL, address: 'pool', cursor: null, recentIds: [], leaseEpoch: 7 },
    window: new TradeWindow(POOL, { fullResponseSize: 3 }),
    generation: 0,
  };
  const deps = {
    state: { writeState: async (u: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }) => void writes.push(u) },
    counters: { add: (name: string, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
    figures: { poolCount: (_a: unknown, name: string, n = 1) => void (name === 'stored' && stored.push(n)) },
    log: pino({ level: 'silent' }),
    held: () => held,
  };
  return { writes, counts, stored, target, deps };
}

describe('commitPoll', () => {
  it('writes the cursor (with the lease epoch) and the gap in one update once the trades are stored', async () => {
    const { writes, stored, target, deps } = setup();
    target.window.accept([trade(2), trade(1)], Date.UTC(2026, 0, 1, 0, 1));
    const r = target.window.accept([trade(9), trade(8), trade(7)], Date.UTC(2026, 0, 1, 0, 1));
    expect(r.gap).not.toBeNull();
    await commitPoll(deps, target, {
      generation: 0,
      done: Promise.resolve(),
      freshIds: r.fresh.map((t) => t.id),
      cursor: r.cursor,
      gap: r.gap,
    });
    expect(writes).toHaveLength(1);
    expect(writes[0]!.cursors).toMatchObject([{ lastTradeId: 't9', leaseEpoch: 7 }]);
    expect(writes[0]!.gaps).toMatchObject([{ poolId: POOL }]);
    expect(stored).toEqual([3]);
  });

  it('trades that failed: the window goes back, no cursor is written, the gap still is', async () => {
    const { writes, counts, target, deps } = setup();
    const first = target.window.accept([trade(2), trade(1)], Date.UTC(2026, 0, 1, 0, 1));
    await commitPoll(deps, target, {
      generation: 0,
      done: Promise.resolve(),
      freshIds: first.fresh.map((t) => t.id),
      cursor: first.cursor,
      gap: null,
    });
    const r = target.window.accept([trade(9), trade(8), trade(7)], Date.UTC(2026, 0, 1, 0, 1));
    const failed = Promise.reject(new BatchFailedError('disk full', [trade(9), trade(8)], 1));
    await commitPoll(deps, target, {
      generation: 0,
      done: failed,
      freshIds: ['t9', 't8', 't7'],
      cursor: r.cursor,
      gap: r.gap,
    });
    expect(target.generation).toBe(1);
    expect(counts.get('errors')).toBe(1);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.cursors).toBeUndefined();
    expect(writes[1]!.gaps).toHaveLength(1);
    // Back at the committed cursor (t2): t9 and t8 come again as new, t7 (stored) is a repeat.
    expect(target.window.currentCursor?.lastTradeId).toBe('t2');
    const again = target.window.accept([trade(9), trade(8), trade(7)], Date.UTC(2026, 0, 1, 0, 1));
    expect(again.fresh.map((t) => t.id)).toEqual(['t9', 't8']);
  });

  it('a pool no longer held writes neither cursor nor gap', async () => {
    const { writes, target, deps } = setup(false);
    target.window.accept([trade(2), trade(1)], Date.UTC(2026, 0, 1, 0, 1));
    const r = target.window.accept([trade(9), trade(8), trade(7)], Date.UTC(2026, 0, 1, 0, 1));
    await commitPoll(deps, target, {
      generation: 0,
      done: Promise.resolve(),
      freshIds: [],
      cursor: r.cursor,
      gap: r.gap,
    });
    expect(writes).toHaveLength(0);
  });
});
