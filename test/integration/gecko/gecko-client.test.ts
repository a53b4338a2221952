import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sleep } from '../../../src/common/abortable-sleep.ts';
import { type GeckoClientOptions, GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import {
  GeckoHttpError,
  GeckoNetworkError,
  GeckoRequestError,
  GeckoTerminalError,
  GeckoThrottledError,
  GeckoTimeoutError,
} from '../../../src/gecko/gecko-errors.ts';
import { backoffDelayMs, parseRetryAfterMs } from '../../../src/gecko/retry-timing.ts';
import type { RateLimiter } from '../../../src/rate-limit/rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { compareDecimalStrings } from '../../../src/trades/decimal-string.ts';
import { until, within } from '../../support/until.ts';

class CountingLimiter implements RateLimiter {
  acquired = 0;
  pauses: number[] = [];
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.acquired++;
  }
  pause(ms: number): void {
    this.pauses.push(ms);
  }
}

function recordingSleep(onSleep?: (ms: number, call: number) => void): { calls: number[]; sleep: Sleep } {
  const calls: number[] = [];
  return {
    calls,
    sleep: async (ms, signal) => {
      calls.push(ms);
      onSleep?.(ms, calls.length);
      signal?.throwIfAborted();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

let sim: GeckoSimulator;
let pool: string;
const accepts: string[] = [];
const urls: string[] = [];
let limiter: CountingLimiter;

function client(options: Partial<GeckoClientOptions> = {}): GeckoTerminalClient {
  return new GeckoTerminalClient({ baseUrl: sim.baseUrl, rateLimiter: limiter, random: () => 0.5, ...options });
}

beforeAll(async () => {
  sim = await startGeckoSimulator({
    seed: 7,
    pools: 3,
    tradesPerSecond: 1,
    historySeconds: 900,
    onRequest: ({ url, headers }) => {
      urls.push(url);
      accepts.push(String(headers.accept));
    },
  });
  pool = sim.pools[0]!.address;
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  limiter = new CountingLimiter();
  sim.setFaults({
    throttleRate: 0,
    serverErrorRate: 0,
    malformedRate: 0,
    slowMs: 0,
    retryAfter: 1,
    throttleStyle: 'status',
  });
  urls.length = 0;
  accepts.length = 0;
});

describe('GeckoTerminalClient happy path', () => {
  it('fetches the last 300 trades newest first, with the versioned Accept header and one token per request', async () => {
    const c = client();
    const { trades } = await c.getPoolTradesPage('solana', pool);
    expect(trades).toHaveLength(300);
    expect(new Set(trades.map((t) => t.id)).size).toBe(300);
    for (const t of trades) expect(t.poolId).toBe(`solana_${pool}`);
    for (let i = 1; i < trades.length; i++)
      expect(trades[i - 1]!.blockTimestamp >= trades[i]!.blockTimestamp).toBe(true);
    expect(accepts).toEqual(['application/json;version=20230302']);
    expect(urls).toEqual([`/api/v2/networks/solana/pools/${pool}/trades`]);
    expect(c.getStats()).toEqual({ requests: 1, throttled: 0, retries: 0, errors: 0, succeeded: 1 });
    expect(limiter.acquired).toBe(1);
    const served = sim.servedTradeIds();
    expect(trades.every((t) => served.has(t.id))).toBe(true);
  });

  it('passes the volume filter and gets only trades above it', async () => {
    const { trades } = await client().getPoolTradesPage('solana', pool, { minVolumeUsd: '250.5' });
    expect(urls[0]).toContain('trade_volume_in_usd_greater_than=250.5');
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) expect(compareDecimalStrings(t.volumeUsd, '250.5')).toBe(1);
    await expect(client().getPoolTradesPage('solana', pool, { minVolumeUsd: -1 })).rejects.toBeInstanceOf(
      GeckoRequestError,
    );
  });

  it('reads top, new and multi pools with tokens and dexes included', async () => {
    const c = client();
    const top = await c.getTopPools('solana', { page: 1 });
    const fresh = await c.getNewPools('solana');
    const multi = await c.getMultiPools('solana', [sim.pools[1]!.address, sim.pools[2]!.address]);
    for (const url of urls) expect(url).toContain('include=base_token%2Cquote_token%2Cdex');
    expect(urls[0]).toContain('page=1');
    expect(top.pools.map((p) => p.id).sort()).toEqual(sim.pools.map((p) => `solana_${p.address}`).sort());
    expect(top.pools.every((p) => p.discoverySource === 'top_pools')).toBe(true);
    expect(fresh.pools.every((p) => p.discoverySource === 'new_pools')).toBe(true);
    expect(multi.pools.map((p) => p.address)).toEqual([sim.pools[1]!.address, sim.pools[2]!.address]);
    expect(top.dexes.map((d) => d.name).sort()).toEqual(['Meteora', 'Pump.fun', 'Raydium']);
    expect(top.pools[0]!.baseTokenId).toMatch(/^solana_\w+pump$/);
  });

  it('refuses more than 30 addresses before making any request', async () => {
    const addresses = Array.from({ length: 31 }, (_, i) => `addr${i}`);
    const err = await rejection(client().getMultiPools('solana', addresses));
    expect(err).toBeInstanceOf(GeckoRequestError);
    expect((err as Error).message).toMatch(/at most 30 addresses.*got 31/);
    expect(limiter.acquired).toBe(0);
    expect(urls).toHaveLength(0);
  });
});

describe('GeckoTerminalClient throttling', () => {
  it('honours Retry-After (seconds) on HTTP 429, pauses the shared limiter, then succeeds', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 3 });
    const { calls, sleep } = recordingSleep(() => sim.setFaults({ throttleRate: 0 }));
    const c = client({ sleep });
    const { trades } = await c.getPoolTradesPage('solana', pool);
    expect(trades).toHaveLength(300);
    expect(calls).toEqual([3000]);
    expect(limiter.pauses).toEqual([3000]);
    expect(c.getStats()).toEqual({ requests: 2, throttled: 1, retries: 1, errors: 0, succeeded: 1 });
    expect(limiter.acquired).toBe(2);
  });

  it('treats a 200 body {"status":{"error_code":429}} as a throttle; backs off when no Retry-After', async () => {
    sim.setFaults({ throttleRate: 1, throttleStyle: 'body', retryAfter: null });
    const { calls, sleep } = recordingSleep(() => sim.setFaults({ throttleRate: 0 }));
    const c = client({ sleep, backoffBaseMs: 400 });
    expect((await c.getPoolTradesPage('solana', pool)).trades).toHaveLength(300);
    // Equal jitter with random() = 0.5: 400/2 + 0.5 * 400/2.
    expect(calls).toEqual([300]);
    expect(c.getStats().throttled).toBe(1);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: new Date(Date.now() + 6000).toUTCString() });
    const { calls, sleep } = recordingSleep(() => sim.setFaults({ throttleRate: 0 }));
    await client({ sleep }).getPoolTradesPage('solana', pool);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeGreaterThanOrEqual(4000);
    expect(calls[0]).toBeLessThanOrEqual(6000);
  });

  it('really waits the Retry-After with the default sleep', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 1 });
    const throttledBefore = sim.stats().faults.throttled;
    const c = client();
    const started = performance.now();
    const pending = c.getPoolTradesPage('solana', pool);
    // Lift the fault once the first (throttled) reply is out; the retry must come >= 1 s after it.
    await until(() => sim.stats().faults.throttled > throttledBefore, 10_000, 'the throttled reply');
    sim.setFaults({ throttleRate: 0 });
    expect((await pending).trades).toHaveLength(300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(c.getStats().requests).toBe(2);
  });

  it('gives up with GeckoThrottledError after maxThrottleRetries', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 2 });
    const { calls, sleep } = recordingSleep();
    const c = client({ sleep, maxThrottleRetries: 2 });
    const err = await rejection(c.getPoolTradesPage('solana', pool));
    expect(err).toBeInstanceOf(GeckoThrottledError);
    expect((err as GeckoThrottledError).retryAfterMs).toBe(2000);
    expect(calls).toEqual([2000, 2000]);
    expect(c.getStats()).toEqual({ requests: 3, throttled: 3, retries: 2, errors: 1, succeeded: 0 });
  });

  it('caps an absurd Retry-After', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 86_400 });
    const { calls, sleep } = recordingSleep(() => sim.setFaults({ throttleRate: 0 }));
    await client({ sleep, maxRetryAfterMs: 60_000 }).getPoolTradesPage('solana', pool);
    expect(calls).toEqual([60_000]);
  });
});

describe('GeckoTerminalClient failures', () => {
  it('retries a 5xx with backoff and succeeds', async () => {
    sim.setFaults({ serverErrorRate: 1 });
    const { calls, sleep } = recordingSleep(() => sim.setFaults({ serverErrorRate: 0 }));
    const c = client({ sleep, backoffBaseMs: 100 });
    expect((await c.getPoolTradesPage('solana', pool)).trades).toHaveLength(300);
    expect(calls).toEqual([75]);
    expect(c.getStats()).toEqual({ requests: 2, throttled: 0, retries: 1, errors: 0, succeeded: 1 });
    expect(limiter.acquired).toBe(2);
  });

  it('grows the backoff exponentially and reports GeckoHttpError after maxRetries', async () => {
    sim.setFaults({ serverErrorRate: 1, serverErrorStatus: 502 });
    const { calls, sleep } = recordingSleep();
    const c = client({ sleep, maxRetries: 3, backoffBaseMs: 100, backoffMaxMs: 300, random: () => 1 });
    const err = await rejection(c.getPoolTradesPage('solana', pool));
    expect(err).toBeInstanceOf(GeckoHttpError);
    expect((err as GeckoHttpError).status).toBe(502);
    expect(calls).toEqual([100, 200, 300]);
    expect(c.getStats()).toEqual({ requests: 4, throttled: 0, retries: 3, errors: 1, succeeded: 0 });
  });

  it('does not retry a 404', async () => {
    const { calls, sleep } = recordingSleep();
    const c = client({ sleep });
    const err = await rejection(c.getPoolTradesPage('solana', 'NoSuchPool111111111111111111111111111111111'));
    expect(err).toBeInstanceOf(GeckoHttpError);
    expect((err as GeckoHttpError).status).toBe(404);
    expect(calls).toEqual([]);
    expect(c.getStats().requests).toBe(1);
  });

  it('raises GeckoTerminalError naming the pool for an unreadable envelope; refuses only the broken trade otherwise', async () => {
    sim.setFaults({ malformedRate: 1 });
    const c = client({ sleep: recordingSleep().sleep });
    const messages: string[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const page = await c.getPoolTradesPage('solana', pool);
        expect(page.trades).toHaveLength(299);
        expect(page.rejected).toHaveLength(1);
        expect(page.rejected[0]!.index).toBe(0);
        reasons.push(page.rejected[0]!.reason);
      } catch (err) {
        expect(err).toBeInstanceOf(GeckoTerminalError);
        expect((err as Error).message).toContain(`solana_${pool}`);
        messages.push((err as Error).message);
      }
    }
    expect(messages).toHaveLength(3);
    expect(messages.some((m) => /not JSON/.test(m))).toBe(true);
    expect(messages.some((m) => /data must be an array/.test(m))).toBe(true);
    expect(reasons).toEqual([
      expect.stringMatching(/^attributes\.block_number is "\d+" \(string\), expected a non-negative integer or null$/),
      expect.stringMatching(/^attributes\.volume_in_usd is "NaN" \(string\), expected a non-negative decimal string/),
      'attributes.kind is "swap" (string), expected "buy" or "sell"',
    ]);
    expect(c.getStats()).toEqual({ requests: 6, throttled: 0, retries: 0, errors: 3, succeeded: 3 });
  });

  it('times out a slow reply, retries, then raises GeckoTimeoutError', async () => {
    sim.setFaults({ slowMs: 5000 });
    const { calls, sleep } = recordingSleep();
    const c = client({ sleep, timeoutMs: 150, maxRetries: 1 });
    const abandoned = sim.stats().abandoned;
    const err = await rejection(c.getPoolTradesPage('solana', pool));
    expect(err).toBeInstanceOf(GeckoTimeoutError);
    // Both attempts were cut by the client, not answered 5 s later.
    await until(() => sim.stats().abandoned === abandoned + 2, 10_000, 'the server to see both hang-ups');
    expect(calls).toHaveLength(1);
    expect(c.getStats()).toEqual({ requests: 2, throttled: 0, retries: 1, errors: 1, succeeded: 0 });
  });

  it('stops at once when the caller aborts during a request, without retrying', async () => {
    sim.setFaults({ slowMs: 5000 });
    const controller = new AbortController();
    const c = client();
    const slowed = sim.stats().faults.slowed;
    const pending = rejection(c.getPoolTradesPage('solana', pool, { signal: controller.signal }));
    await until(() => sim.stats().faults.slowed > slowed, 10_000, 'the request to reach the server');
    controller.abort();
    // Ended by the abort: the reply 5 s later would have resolved it (the bound only names a hang).
    const err = await within(pending, 30_000, 'the abort to end the request');
    expect((err as Error).name).toBe('AbortError');
    expect(c.getStats()).toEqual({ requests: 1, throttled: 0, retries: 0, errors: 0, succeeded: 0 });
  });

  it('stops at once when the caller aborts during a Retry-After wait', async () => {
    sim.setFaults({ throttleRate: 1, retryAfter: 3600 });
    const controller = new AbortController();
    const c = client({ maxRetryAfterMs: 3_600_000 });
    const throttled = sim.stats().faults.throttled;
    const pending = rejection(c.getPoolTradesPage('solana', pool, { signal: controller.signal }));
    await until(() => sim.stats().faults.throttled > throttled, 10_000, 'the throttled reply');
    controller.abort();
    // Ended by the abort, not by the hour-long wait.
    const err = await within(pending, 30_000, 'the abort to end the Retry-After wait');
    expect((err as Error).name).toBe('AbortError');
    expect(c.getStats().requests).toBe(1);
  });

  it('retries network errors, then raises GeckoNetworkError', async () => {
    const gone = await startGeckoSimulator();
    const url = gone.baseUrl;
    await gone.close();
    const { calls, sleep } = recordingSleep();
    const c = new GeckoTerminalClient({ baseUrl: url, rateLimiter: limiter, sleep, maxRetries: 2 });
    const err = await rejection(c.getNewPools('solana'));
    expect(err).toBeInstanceOf(GeckoNetworkError);
    expect(calls).toHaveLength(2);
    expect(c.getStats()).toEqual({ requests: 3, throttled: 0, retries: 2, errors: 1, succeeded: 0 });
    expect(limiter.acquired).toBe(3);
  });
});

describe('GeckoTerminalClient under mixed faults', () => {
  it('returns, across retries, exactly the distinct trades the simulator served', async () => {
    const s = await startGeckoSimulator({ seed: 1, pools: 4, tradesPerSecond: 20, historySeconds: 30 });
    try {
      s.setFaults({
        throttleRate: 0.2,
        throttleStyle: 'mixed',
        retryAfter: 0,
        serverErrorRate: 0.15,
        malformedRate: 0.1,
      });
      const c = new GeckoTerminalClient({
        baseUrl: s.baseUrl,
        rateLimiter: limiter,
        sleep: recordingSleep().sleep,
        maxRetries: 10,
        maxThrottleRetries: 10,
      });
      const received = new Set<string>();
      let badBodies = 0;
      let pagesWithRejects = 0;
      for (let round = 0; round < 5; round++) {
        for (const pool of s.pools) {
          try {
            const page = await c.getPoolTradesPage('solana', pool.address);
            for (const t of page.trades) received.add(t.id);
            if (page.rejected.length > 0) pagesWithRejects++;
            expect(page.rejected.length).toBeLessThanOrEqual(1);
          } catch (err) {
            expect(err).toBeInstanceOf(GeckoTerminalError);
            badBodies++;
          }
        }
      }
      const stats = s.stats();
      expect(stats.faults.throttled).toBeGreaterThan(0);
      expect(stats.faults.serverErrors).toBeGreaterThan(0);
      // An unreadable envelope refuses the page; one broken trade refuses only itself.
      expect(badBodies + pagesWithRejects).toBe(stats.faults.malformed);
      expect(received.size).toBe(stats.distinctTradesServed);
      expect(c.getStats().requests).toBe(stats.requests);
      expect(limiter.acquired).toBe(stats.requests);
    } finally {
      await s.close();
    }
  });
});

describe('retry timing', () => {
  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('2025-08-28T16:15:08Z');
    expect(parseRetryAfterMs('7', now)).toBe(7000);
    expect(parseRetryAfterMs('Thu, 28 Aug 2025 16:15:38 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Thu, 28 Aug 2025 16:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it('backs off exponentially with bounded jitter', () => {
    const opts = { baseMs: 1000, maxMs: 8000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, opts, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, opts, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });
});
