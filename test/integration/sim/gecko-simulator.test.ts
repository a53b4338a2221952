import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeckoTerminalError } from '../../../src/gecko/gecko-errors.ts';
import { parsePoolsBody } from '../../../src/gecko/pool-parser.ts';
import { parseTradesPage } from '../../../src/gecko/trade-parser.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import type { GeckoTradeObject } from '../../../src/sim/sim-trade-source.ts';
import { compareDecimalStrings } from '../../../src/trades/decimal-string.ts';
import { until } from '../../support/until.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
const DAY = 86_400_000;
const ID = /^solana_(\d+)_([1-9A-HJ-NP-Za-km-z]{88})_(\d+)_(\d+)$/;

let now = START;
let sim: GeckoSimulator;

async function get(
  s: GeckoSimulator,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${s.baseUrl}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function trades(s: GeckoSimulator, address: string, query = ''): Promise<GeckoTradeObject[]> {
  const res = await get(s, `/networks/solana/pools/${address}/trades${query}`);
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { data: GeckoTradeObject[] }).data;
}

beforeAll(async () => {
  sim = await startGeckoSimulator({
    seed: 3,
    pools: 3,
    tradesPerSecond: [2, 0.5, 0.002],
    historySeconds: 3 * 86_400,
    clock: () => now,
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setFaults({
    throttleRate: 0,
    serverErrorRate: 0,
    malformedRate: 0,
    slowMs: 0,
    retryAfter: 1,
    throttleStyle: 'status',
  });
});

describe('simulated trades endpoint', () => {
  it('answers the last 300 trades newest first, shaped like the real API', async () => {
    const pool = sim.pools[0]!;
    const data = await trades(sim, pool.address);
    expect(data).toHaveLength(300);
    let previous: GeckoTradeObject | undefined;
    for (const trade of data) {
      const a = trade.attributes;
      const [, block, tx, , unix] = ID.exec(trade.id) ?? [];
      expect(Number(block)).toBe(a.block_number);
      expect(tx).toBe(a.tx_hash);
      expect(`${new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z')}`).toBe(a.block_timestamp);
      expect(Date.parse(a.block_timestamp)).toBeLessThanOrEqual(now);
      expect(a.volume_in_usd.length).toBeGreaterThanOrEqual(50);
      expect(a.kind === 'buy' ? a.to_token_address : a.from_token_address).toBe(pool.baseToken.address);
      for (const [key, value] of Object.entries(a))
        expect(typeof value).toBe(key === 'block_number' ? 'number' : 'string');
      if (previous) {
        expect(a.block_timestamp <= previous.attributes.block_timestamp).toBe(true);
        expect(a.block_number).toBeLessThanOrEqual(previous.attributes.block_number);
      }
      previous = trade;
    }
    // The real parser accepts it, and the newest trade is recent at 2 trades/s.
    const { trades: parsed, rejected } = parseTradesPage(JSON.stringify({ data }), {
      network: 'solana',
      poolAddress: pool.address,
    });
    expect(rejected).toEqual([]);
    expect(parsed).toHaveLength(300);
    expect(now - Date.parse(parsed[0]!.blockTimestamp)).toBeLessThan(10_000);
  });

  it('never reaches back more than 24 h', async () => {
    // 0.002 trades/s for 3 days of history: ~173 trades in the last day, ~518 in all.
    const data = await trades(sim, sim.pools[2]!.address);
    expect(data.length).toBeGreaterThan(140);
    expect(data.length).toBeLessThan(210);
    for (const t of data) expect(Date.parse(t.attributes.block_timestamp)).toBeGreaterThan(now - DAY - 1000);
  });

  it('adds new trades at the configured rate as the clock moves, overlapping the previous window', async () => {
    const address = sim.pools[0]!.address;
    const first = await trades(sim, address);
    now += 10_000;
    const second = await trades(sim, address);
    const seen = new Set(first.map((t) => t.id));
    const fresh = second.filter((t) => !seen.has(t.id));
    // 2 trades/s for 10 s, each in its own slot: 20 give or take the slot boundaries.
    expect(fresh.length).toBeGreaterThanOrEqual(18);
    expect(fresh.length).toBeLessThanOrEqual(22);
    // The fresh ones are the newest, and the rest is the old window shifted.
    expect(second.slice(0, fresh.length)).toEqual(fresh);
    expect(second.slice(fresh.length).map((t) => t.id)).toEqual(first.slice(0, 300 - fresh.length).map((t) => t.id));
  });

  it('is deterministic for a seed and clock', async () => {
    const at = () => START;
    const [a, b, other] = await Promise.all([
      startGeckoSimulator({ seed: 5, historySeconds: 3600, clock: at }),
      startGeckoSimulator({ seed: 5, historySeconds: 3600, clock: at }),
      startGeckoSimulator({ seed: 6, historySeconds: 3600, clock: at }),
    ]);
    try {
      expect(b.pools.map((p) => p.address)).toEqual(a.pools.map((p) => p.address));
      const path = `/networks/solana/pools/${a.pools[1]!.address}/trades`;
      const [ta, tb] = await Promise.all([get(a, path), get(b, path)]);
      expect(ta.text.length).toBeGreaterThan(10_000);
      expect(ta.text === tb.text).toBe(true);
      expect(other.pools[0]!.address).not.toBe(a.pools[0]!.address);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('serves the same trades at the same instant whenever it was started (a fixed time grid, not one from its start)', async () => {
    let later = START;
    const early = await startGeckoSimulator({ seed: 5, historySeconds: 3600, clock: () => later });
    later = START + 20 * 60_000;
    const restarted = await startGeckoSimulator({ seed: 5, historySeconds: 3600, clock: () => later });
    try {
      const path = `/networks/solana/pools/${early.pools[0]!.address}/trades`;
      const [a, b] = await Promise.all([get(early, path), get(restarted, path)]);
      expect(JSON.parse(a.text).data).toHaveLength(300);
      expect(b.text).toBe(a.text);
    } finally {
      await Promise.all([early.close(), restarted.close()]);
    }
  });

  it('serves no trade from before its history', async () => {
    const s = await startGeckoSimulator({
      seed: 5,
      pools: 1,
      tradesPerSecond: 2,
      historySeconds: 30,
      clock: () => START,
    });
    try {
      const data = await trades(s, s.pools[0]!.address);
      expect(data.length).toBeGreaterThanOrEqual(59);
      expect(data.length).toBeLessThanOrEqual(61);
      for (const t of data) expect(Date.parse(t.attributes.block_timestamp)).toBeGreaterThanOrEqual(START - 31_000);
    } finally {
      await s.close();
    }
  });

  it('honours the volume filter exactly', async () => {
    const data = await trades(sim, sim.pools[1]!.address, '?trade_volume_in_usd_greater_than=1000.5');
    expect(data.length).toBeGreaterThan(0);
    expect(data.length).toBeLessThanOrEqual(300);
    for (const t of data) expect(compareDecimalStrings(t.attributes.volume_in_usd, '1000.5')).toBe(1);
    const unfiltered = await trades(sim, sim.pools[1]!.address);
    const above = unfiltered.filter((t) => compareDecimalStrings(t.attributes.volume_in_usd, '1000.5') > 0);
    expect(data.slice(0, above.length).map((t) => t.id)).toEqual(above.map((t) => t.id));
    expect(
      (await get(sim, `/networks/solana/pools/${sim.pools[1]!.address}/trades?trade_volume_in_usd_greater_than=abc`))
        .status,
    ).toBe(400);
  });

  it('counts distinct trades served across overlapping responses', async () => {
    const s = await startGeckoSimulator({
      seed: 9,
      pools: 2,
      tradesPerSecond: 5,
      historySeconds: 100,
      clock: () => now,
    });
    try {
      const ids = new Set<string>();
      let total = 0;
      for (let round = 0; round < 4; round++) {
        for (const pool of s.pools) {
          const data = await trades(s, pool.address);
          total += data.length;
          for (const t of data) ids.add(t.id);
        }
        now += 7_000;
      }
      const stats = s.stats();
      expect(stats.tradeResponses).toBe(8);
      expect(stats.tradesServed).toBe(total);
      expect(stats.distinctTradesServed).toBe(ids.size);
      expect(ids.size).toBeLessThan(total);
      expect(s.servedTradeIds()).toEqual(ids);
    } finally {
      await s.close();
    }
  });
});

describe('simulated pools endpoints', () => {
  it('serves top, new and multi pools that the pool parser reads', async () => {
    const top = await get(sim, '/networks/solana/pools?include=base_token,quote_token,dex&page=1');
    const parsed = parsePoolsBody(top.text, { network: 'solana' });
    expect(parsed.pools).toHaveLength(3);
    const reserves = parsed.pools.map((p) => p.reserveUsd!);
    for (let i = 1; i < reserves.length; i++) expect(compareDecimalStrings(reserves[i - 1]!, reserves[i]!)).toBe(1);
    expect(parsed.dexes).toHaveLength(3);
    expect(JSON.parse(top.text).included.length).toBeGreaterThan(0);

    const plain = JSON.parse((await get(sim, '/networks/solana/new_pools')).text) as {
      data: Array<{ attributes: { pool_created_at: string } }>;
      included?: unknown;
    };
    expect(plain.included).toBeUndefined();
    const created = plain.data.map((p) => p.attributes.pool_created_at);
    expect([...created].sort().reverse()).toEqual(created);

    const wanted = [sim.pools[2]!.address, 'Unknown1111111111111111111111111111111111111', sim.pools[0]!.address];
    const multi = parsePoolsBody(
      (await get(sim, `/networks/solana/pools/multi/${wanted.join(',')}?include=dex`)).text,
      { network: 'solana' },
    );
    expect(multi.pools.map((p) => p.address)).toEqual([sim.pools[2]!.address, sim.pools[0]!.address]);
    expect((await get(sim, '/networks/solana/pools?page=2')).text).toBe('{"data":[]}');
  });

  it('answers 404 for unknown networks, pools and paths', async () => {
    expect((await get(sim, '/networks/eth/pools')).status).toBe(404);
    expect((await get(sim, '/networks/solana/pools/nope/trades')).status).toBe(404);
    expect((await get(sim, '/networks/solana/tokens')).status).toBe(404);
    expect(sim.stats().routes.unknown).toBeGreaterThanOrEqual(3);
  });
});

describe('simulator faults', () => {
  it('throttles with HTTP 429 + Retry-After, or a 200 body with error_code 429', async () => {
    const before = sim.stats();
    sim.setFaults({ throttleRate: 1, retryAfter: 5 });
    const a = await get(sim, `/networks/solana/pools/${sim.pools[0]!.address}/trades`);
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(a.text).status.error_code).toBe(429);
    sim.setFaults({ throttleStyle: 'body', retryAfter: null });
    const b = await get(sim, '/networks/solana/new_pools');
    expect(b.status).toBe(200);
    expect(b.headers.get('retry-after')).toBeNull();
    expect(JSON.parse(b.text).status.error_code).toBe(429);
    const after = sim.stats();
    expect(after.faults.throttled - before.faults.throttled).toBe(2);
    expect(after.distinctTradesServed).toBe(before.distinctTradesServed);
    expect(after.tradeResponses).toBe(before.tradeResponses);
  });

  it('injects 5xx and malformed bodies at the configured fractions', async () => {
    const before = sim.stats();
    sim.setFaults({ serverErrorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await get(sim, '/networks/solana/new_pools')).status);
    const errors = statuses.filter((s) => s === 503).length;
    expect(errors).toBe(sim.stats().faults.serverErrors - before.faults.serverErrors);
    expect(errors).toBeGreaterThan(8);
    expect(errors).toBeLessThan(32);

    sim.setFaults({ serverErrorRate: 0, malformedRate: 1 });
    const address = sim.pools[0]!.address;
    const context = { network: 'solana', poolAddress: address };
    for (let i = 0; i < 6; i++) {
      const res = await get(sim, `/networks/solana/pools/${address}/trades`);
      expect(res.status).toBe(200);
      // Three unreadable envelopes, then three pages with one broken trade (its page-mates count as served).
      if (i < 3) expect(() => parseTradesPage(res.text, context)).toThrow(GeckoTerminalError);
      else expect(parseTradesPage(res.text, context).rejected).toHaveLength(1);
    }
    expect(sim.stats().faults.malformed - before.faults.malformed).toBe(6);
    expect(sim.stats().tradeResponses).toBe(before.tradeResponses + 3);
  });

  it('delays replies, and does not count a reply the client hung up on as served', async () => {
    const before = sim.stats();
    sim.setFaults({ slowMs: 300 });
    const started = performance.now();
    await get(sim, '/networks/solana/new_pools');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    sim.setFaults({ slowMs: 400 });
    await expect(
      get(sim, `/networks/solana/pools/${sim.pools[0]!.address}/trades`, { signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    await until(() => sim.stats().abandoned > before.abandoned, 10_000, 'the server to see the hang-up');
    const after = sim.stats();
    expect(after.abandoned - before.abandoned).toBe(1);
    expect(after.faults.slowed - before.faults.slowed).toBe(2);
    expect(after.tradeResponses).toBe(before.tradeResponses);
  });

  it('closes promptly with a reply still pending and idle keep-alive connections open', async () => {
    const s = await startGeckoSimulator({ clock: () => now, faults: { slowMs: 30_000 } });
    await get(s, '/networks/solana/pools/x/trades', { signal: AbortSignal.timeout(1) }).catch(() => undefined);
    s.setFaults({ slowMs: 0 });
    await get(s, '/networks/solana/new_pools');
    s.setFaults({ slowMs: 30_000 });
    const slowed = s.stats().faults.slowed;
    const pending = get(s, '/networks/solana/new_pools').then(
      () => 'answered',
      () => 'failed',
    );
    await until(() => s.stats().faults.slowed > slowed, 10_000, 'the reply to be held back');
    // Closed with the reply still held back (for 30 s): the request failed, it was not answered first.
    await s.close();
    expect(await pending).toBe('failed');
  });
});
