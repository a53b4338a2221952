// The default transport (node:http, not fetch) against a real server: it asks for compressed bodies and decodes
// gzip, deflate and br as fetch does, and the size bound holds for the decoded bytes (a small compressed body
// that inflates past it is cut).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import { GeckoResponseTooLargeError } from '../../../src/gecko/gecko-errors.ts';
import type { RateLimiter } from '../../../src/rate-limit/rate-limiter.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';

const limiter: RateLimiter = { acquire: async () => undefined };
const noSleep = async () => undefined;
let sim: GeckoSimulator;
let page: Buffer;
const asked: IncomingHttpHeaders[] = [];
let server: ReturnType<typeof createServer>;
let baseUrl: string;

const encoders: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
};

beforeAll(async () => {
  sim = await startGeckoSimulator({ pools: 1, tradesPerSecond: 4, historySeconds: 3600, seed: 3 });
  const pool = sim.pools[0]!.address;
  page = Buffer.from(await (await fetch(`${sim.baseUrl}/networks/${sim.network}/pools/${pool}/trades`)).arrayBuffer());
  // Serves that page under /<encoding>/..., encoded so; /bomb/ is 8 MB of spaces after the page, gzipped.
  server = createServer((req, res) => {
    asked.push(req.headers);
    const kind = (req.url ?? '').split('/')[1]!;
    if (kind === 'bomb') {
      const body = zlib.gzipSync(Buffer.concat([page, Buffer.alloc(8 * 1024 * 1024, 0x20)]));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(body);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': kind });
    res.end(encoders[kind]!(page));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await sim?.close();
});

describe('GeckoTerminalClient default transport', () => {
  it('asks for gzip, deflate and br and decodes each to the same trades', async () => {
    const pool = sim.pools[0]!.address;
    const plain = new GeckoTerminalClient({ baseUrl: sim.baseUrl, rateLimiter: limiter, sleep: noSleep });
    const expected = await plain.getPoolTrades(sim.network, pool);
    expect(expected.length).toBeGreaterThan(100);
    for (const encoding of Object.keys(encoders)) {
      const c = new GeckoTerminalClient({ baseUrl: `${baseUrl}/${encoding}`, rateLimiter: limiter, sleep: noSleep });
      expect(await c.getPoolTrades(sim.network, pool)).toEqual(expected);
      expect(asked.at(-1)!['accept-encoding']).toBe('gzip, deflate, br');
    }
  });

  it('cuts a compressed body whose decoded bytes pass the bound', async () => {
    const c = new GeckoTerminalClient({
      baseUrl: `${baseUrl}/bomb`,
      rateLimiter: limiter,
      sleep: noSleep,
      maxResponseBytes: 1024 * 1024,
    });
    const err = await c.getPoolTradesPage(sim.network, sim.pools[0]!.address).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GeckoResponseTooLargeError);
    expect((err as GeckoResponseTooLargeError).receivedBytes).toBeGreaterThan(1024 * 1024);
    expect((err as GeckoResponseTooLargeError).receivedBytes).toBeLessThan(2 * 1024 * 1024);
  });
});
