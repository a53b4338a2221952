// A leased pool's poll against the simulator, with the rate limit held shut by the test: a poll waiting for its
// slot ends unsent when the pool is taken back or its lease lapses, and a response that comes back after the
// lease was lost hands its trades on but writes no cursor or gap.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PoolPoller, type PoolPollerOptions } from '../../../src/collector/pool-poller.ts';
import { poolIdOf } from '../../../src/config/pool-addresses.ts';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { PoolLeaseCells } from '../../../src/protocol/collector-task.ts';
import { PoolCounters } from '../../../src/protocol/pool-counters.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../../../src/protocol/records.ts';
import type { RateLimiter } from '../../../src/rate-limit/rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { until } from '../../support/until.ts';

/** Grants no slot until open() (a long queue at 30 calls/min); a waiting caller's abort ends its wait. */
class HeldLimiter implements RateLimiter {
  waiting = 0;
  private opened = false;
  private readonly wakers = new Set<() => void>();
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.opened) return;
    this.waiting++;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.wakers.add(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    } finally {
      this.waiting--;
    }
  }
  open(): void {
    this.opened = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }
}

let sim: GeckoSimulator;
beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 3, pools: 1, tradesPerSecond: 2, historySeconds: 120 });
});
afterAll(async () => {
  await sim.close();
});

const runs: { stop: AbortController; done: Promise<void> }[] = [];
afterEach(async () => {
  sim.setFaults({ slowMs: 0, throttleRate: 0, retryAfter: null });
  for (const r of runs.splice(0)) {
    r.stop.abort();
    await r.done;
  }
});

function leasedPoller(limiter: RateLimiter) {
  const address = sim.pools[0]!.address;
  const poolId = poolIdOf('solana', address);
  const cells = new PoolLeaseCells(1);
  cells.set(0, PoolLeaseCells.now() + 60_000);
  const submitted: TradeRecord[] = [];
  const state: { cursors: CursorUpdate[]; gaps: GapRecord[] } = { cursors: [], gaps: [] };
  const counted = new Map<string, number>();
  const poolCounters = new PoolCounters(1);
  const options: PoolPollerOptions = {
    client: new GeckoTerminalClient({ rateLimiter: limiter, baseUrl: sim.baseUrl }),
    network: 'solana',
    pools: [{ address, poolId, cursor: null, recentIds: [], index: 0, leaseEpoch: 1 }],
    pollIntervalMs: 60_000,
    trades: {
      submitTrades: (trades) => {
        submitted.push(...trades);
        return { accepted: Promise.resolve(), done: Promise.resolve() };
      },
    },
    state: {
      writeState: async (u) => {
        state.cursors.push(...(u.cursors ?? []));
        state.gaps.push(...(u.gaps ?? []));
      },
    },
    counters: { add: (name, n = 1) => counted.set(name, (counted.get(name) ?? 0) + n) },
    leases: cells,
    poolCounters,
  };
  const poller = new PoolPoller(options);
  const stop = new AbortController();
  const run = { stop, done: poller.run(stop.signal) };
  runs.push(run);
  /** Polls of the pool that have ended (answered, failed or ended unsent). */
  const ended = () => poolCounters.read(0).polls;
  return { poller, poolId, cells, submitted, state, counted, run, ended };
}

const pollsSoFar = () => sim.polls().length;

describe('a leased pool whose poll waits for a rate-limit slot', () => {
  it('taken back: the waiting poll ends unsent and removePools resolves without the slot ever coming', async () => {
    const limiter = new HeldLimiter();
    const before = pollsSoFar();
    const { poller, poolId, cells, counted } = leasedPoller(limiter);
    await until(() => limiter.waiting === 1, 10_000, 'the poll to wait for its slot');
    cells.set(0, 0);
    await poller.removePools([poolId]);
    expect(limiter.waiting).toBe(0);
    limiter.open();
    expect(pollsSoFar()).toBe(before);
    expect(counted.get('errors') ?? 0).toBe(0);
  });

  it('lease lapsed while waiting (no revoke): the request does not leave', async () => {
    const limiter = new HeldLimiter();
    const before = pollsSoFar();
    const { cells, counted } = leasedPoller(limiter);
    await until(() => limiter.waiting === 1, 10_000, 'the poll to wait for its slot');
    cells.set(0, PoolLeaseCells.now() - 1);
    await until(() => limiter.waiting === 0, 10_000, 'the wait to end');
    limiter.open();
    expect(pollsSoFar()).toBe(before);
    expect(counted.get('errors') ?? 0).toBe(0);
  });

  it('lease lost while the request is on the wire: its trades are handed on, no cursor or gap is written', async () => {
    sim.setFaults({ slowMs: 1500 });
    const limiter = new HeldLimiter();
    limiter.open();
    // Counted on arrival: the poll log is written when the slowed reply is made, 1.5 s later, and losing the lease
    // then would race the client reading the answer.
    const before = sim.stats().requests;
    const { cells, submitted, state, counted, run } = leasedPoller(limiter);
    await until(() => sim.stats().requests === before + 1, 10_000, 'the request to reach the server');
    cells.set(0, 0);
    await until(() => (counted.get('pollsWithTrades') ?? 0) === 1, 10_000, 'the response');
    // The stop waits for every poll's commit.
    run.stop.abort();
    await run.done;
    expect(submitted.length).toBeGreaterThan(0);
    expect(state.cursors).toEqual([]);
    expect(state.gaps).toEqual([]);
  });

  it('lease lapsed during a throttle retry: the retry does not leave', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 1 });
    const limiter = new HeldLimiter();
    limiter.open();
    const before = pollsSoFar();
    const { cells, counted, ended } = leasedPoller(limiter);
    await until(() => pollsSoFar() === before + 1, 10_000, 'the first attempt (throttled)');
    cells.set(0, PoolLeaseCells.now() - 1);
    await until(() => ended() === 1, 10_000, 'the poll to end');
    expect(pollsSoFar()).toBe(before + 1);
    expect(counted.get('errors') ?? 0).toBe(0);
  });

  it('the same response with the lease held moves the cursor (the check above can fail)', async () => {
    const limiter = new HeldLimiter();
    limiter.open();
    const { state } = leasedPoller(limiter);
    await until(() => state.cursors.length === 1, 10_000, 'the cursor write');
    expect(state.cursors[0]).toMatchObject({ leaseEpoch: 1 });
  });
});
