// A cached answer's age reaches the caller: the counter-based coverage places a pools answer's counters by it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallStats, GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';

let now = Date.parse('2026-01-01T00:00:00Z');
let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ pools: 2, seed: 4, cacheSeconds: 60, clock: () => now });
});

afterAll(async () => {
  await sim?.close();
});

describe('the Age of a cached answer', () => {
  it('is in the call stats of the call it answered (ms), and absent for a fresh one', async () => {
    const client = new GeckoTerminalClient({ baseUrl: sim.baseUrl, rateLimiter: { acquire: async () => undefined } });
    const addresses = sim.pools.map((p) => p.address);
    const fresh: CallStats = { requests: 0, throttled: 0 };
    const first = await client.getMultiPools('solana', addresses, { stats: fresh });
    expect(fresh.ageMs).toBeUndefined();
    now += 7000;
    const cached: CallStats = { requests: 0, throttled: 0 };
    const again = await client.getMultiPools('solana', addresses, { stats: cached });
    expect(cached.ageMs).toBe(7000);
    // The same answer, counters included: it counted up to 7 s ago.
    expect(again.pools.map((p) => p.metadataJson)).toEqual(first.pools.map((p) => p.metadataJson));
  });
});
