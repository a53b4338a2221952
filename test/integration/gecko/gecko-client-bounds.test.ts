// The client's bounds against a real server: a body over the size bound is cut while streaming (declared or
// not) and not retried; the deadline covers the whole body; a long Retry-After is cut to the cap and holds
// the shared limit off only briefly.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { GeckoResponseTooLargeError, GeckoTimeoutError } from '../../../src/gecko/gecko-errors.ts';
import type { RateLimiter } from '../../../src/rate-limit/rate-limiter.ts';
import { type HostileGeckoServer, startHostileGeckoServer } from '../../support/hostile-gecko-server.ts';
import { within } from '../../support/until.ts';

let server: HostileGeckoServer;
const pauses: number[] = [];
const limiter: RateLimiter = { acquire: async () => undefined, pause: (ms) => void pauses.push(ms) };
const sleeps: number[] = [];
const sleep = async (ms: number) => void sleeps.push(ms);

afterAll(async () => {
  await server?.close();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('GeckoTerminalClient bounds', () => {
  it('cuts a streamed body at the size bound, says so with a code, and does not retry', async () => {
    server = await startHostileGeckoServer({
      pools: [
        { address: 'Huge', script: { fault: 'huge-body', bytes: 2_000_000 } },
        { address: 'Endless', script: { fault: 'endless-body' } },
        { address: 'Trickle', script: { fault: 'trickle-body', bytesPerChunk: 8, chunkIntervalMs: 50 } },
        { address: 'Throttled', script: { fault: 'throttle', retryAfter: '86400' } },
        { address: 'Fine', script: { fault: 'none' } },
      ],
    });
    const c = new GeckoTerminalClient({
      baseUrl: server.baseUrl,
      rateLimiter: limiter,
      maxResponseBytes: 256 * 1024,
      sleep,
    });
    for (const pool of ['Huge', 'Endless']) {
      const err = await rejection(c.getPoolTradesPage('solana', pool));
      expect(err).toBeInstanceOf(GeckoResponseTooLargeError);
      expect(err).toMatchObject({ code: 'GECKO_RESPONSE_TOO_LARGE', limitBytes: 256 * 1024 });
      expect((err as GeckoResponseTooLargeError).receivedBytes).toBeGreaterThan(256 * 1024);
      expect((err as GeckoResponseTooLargeError).receivedBytes).toBeLessThan(2 * 256 * 1024);
      expect(server.record(pool).requests).toBe(1);
    }
    expect(sleeps).toEqual([]);
    // The bound is on bodies, not on good responses under it.
    expect((await c.getPoolTradesPage('solana', 'Fine')).trades).toHaveLength(5);
  });

  it('refuses a declared Content-Length over the bound before reading the body', async () => {
    let written = 0;
    const big = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50_000_000) });
      const chunk = 'x'.repeat(65536);
      const pump = () => {
        while (!res.destroyed && written < 50_000_000) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(big.address() as AddressInfo).port}`;
      const c = new GeckoTerminalClient({ baseUrl: url, rateLimiter: limiter, maxResponseBytes: 1024 * 1024, sleep });
      const err = await rejection(c.getPoolTradesPage('solana', 'X'));
      expect(err).toMatchObject({ code: 'GECKO_RESPONSE_TOO_LARGE', receivedBytes: 50_000_000 });
    } finally {
      big.closeAllConnections();
      await new Promise<void>((r) => big.close(() => r()));
    }
  });

  it('times out a body that trickles past the deadline although its headers came at once', async () => {
    sleeps.length = 0;
    const c = new GeckoTerminalClient({
      baseUrl: server.baseUrl,
      rateLimiter: limiter,
      timeoutMs: 300,
      maxRetries: 1,
      sleep,
    });
    // The body never ends: only the whole-response deadline can end the call (the bound only names a hang).
    const err = await within(rejection(c.getPoolTradesPage('solana', 'Trickle')), 30_000, 'the deadline to cut it');
    expect(err).toBeInstanceOf(GeckoTimeoutError);
    expect(server.record('Trickle').requests).toBe(2);
    expect(server.record('Trickle').completed).toBe(0);
  });

  it('cuts Retry-After 86400 to the cap for this call and pauses the shared limit only briefly', async () => {
    sleeps.length = 0;
    pauses.length = 0;
    const c = new GeckoTerminalClient({
      baseUrl: server.baseUrl,
      rateLimiter: limiter,
      maxRetryAfterMs: 30_000,
      maxSharedPauseMs: 2_000,
      maxThrottleRetries: 2,
      sleep,
    });
    const err = await rejection(c.getPoolTradesPage('solana', 'Throttled'));
    expect(err).toMatchObject({ code: 'GECKO_THROTTLED', retryAfterMs: 86_400_000 });
    expect(sleeps).toEqual([30_000, 30_000]);
    expect(pauses).toEqual([2_000, 2_000]);
  });
});
