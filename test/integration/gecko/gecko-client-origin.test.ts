// Where the client's requests go and what server text it lets through, against real servers: redirects are
// followed only within the configured origin (each hop a rate-limit slot of its own), refused elsewhere (HTTPS to
// HTTP included) with the status and the other origin; the key header goes only to that origin; every body is
// scrubbed of the key before an excerpt, a reason or a stored value is made of it; network errors name their cause.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiOrigin } from '../../../src/gecko/api-origin.ts';
import { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import {
  GeckoHttpError,
  GeckoNetworkError,
  GeckoRedirectError,
  GeckoRequestError,
  GeckoTerminalError,
} from '../../../src/gecko/gecko-errors.ts';
import { SECRET_MASK, SecretScrubber } from '../../../src/gecko/secret-scrubber.ts';
import type { RateLimiter } from '../../../src/rate-limit/rate-limiter.ts';
import { hostileServers } from '../../support/hostile-gecko-server.ts';
import { LOCAL_TLS_CERT, LOCAL_TLS_KEY } from '../../support/local-tls.ts';

const KEY = 'CG-unitK3y+a/b"c';
const server = hostileServers();

function counting(): RateLimiter & { acquired: number } {
  const limiter = {
    acquired: 0,
    acquire: async () => {
      limiter.acquired++;
    },
  };
  return limiter;
}

function client(baseUrl: string, limiter: RateLimiter, extra: { fetch?: typeof fetch } = {}): GeckoTerminalClient {
  return new GeckoTerminalClient({
    baseUrl,
    apiKey: KEY,
    rateLimiter: limiter,
    maxRetries: 0,
    sleep: async () => undefined,
    ...extra,
  });
}

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

/** A fetch that answers every request with `answer` and records what was asked, without a network. */
function scriptedFetch(answer: (url: string) => Response): {
  fetch: typeof fetch;
  calls: { url: string; key?: string }[];
} {
  const calls: { url: string; key?: string }[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const key = (init?.headers as Record<string, string> | undefined)?.['x-cg-pro-api-key'];
    calls.push({ url, ...(key === undefined ? {} : { key }) });
    return answer(url);
  };
  return { fetch: fake as typeof fetch, calls };
}

describe('redirects', () => {
  it('follows a hop within the origin, each hop taking its own rate-limit slot', async () => {
    const api = await server({ pools: [{ address: 'Hop', script: { fault: 'redirect', status: 307 } }] });
    const limiter = counting();
    const c = client(api.baseUrl, limiter);
    const page = await c.getPoolTradesPage('solana', 'Hop');
    expect(page.trades.length).toBeGreaterThan(0);
    expect(api.requests.map((r) => r.path)).toEqual([
      '/api/v2/networks/solana/pools/Hop/trades',
      '/api/v2/networks/solana/pools/Hop/trades?hop=1',
    ]);
    // The hop carried the key (same origin), and was paced and counted like the first request.
    expect(api.requests.map((r) => r.headers['x-cg-pro-api-key'])).toEqual([KEY, KEY]);
    expect(limiter.acquired).toBe(2);
    expect(c.getStats()).toMatchObject({ requests: 2, succeeded: 1, errors: 0 });
  });

  for (const status of [301, 302, 307, 308]) {
    it(`refuses HTTP ${status} to another origin on the trades and pools endpoints, naming both, without the key`, async () => {
      const other = await server({ pools: [{ address: 'Moved', script: { fault: 'none' } }] });
      const api = await server({
        pools: [{ address: 'Moved', script: { fault: 'redirect', status, to: other.baseUrl } }],
        poolsScript: { fault: 'redirect', status, to: other.baseUrl },
      });
      const limiter = counting();
      const c = client(api.baseUrl, limiter);
      for (const call of [() => c.getPoolTradesPage('solana', 'Moved'), () => c.getMultiPools('solana', ['Moved'])]) {
        const err = await failure(call());
        expect(err).toBeInstanceOf(GeckoRedirectError);
        const e = err as GeckoRedirectError;
        expect(e.code).toBe('GECKO_REDIRECT_REFUSED');
        expect(e.status).toBe(status);
        expect(e.locationOrigin).toBe(other.origin);
        expect(e.message).toContain(`HTTP ${status}`);
        expect(e.message).toContain(other.origin);
        expect(e.message).not.toContain(KEY);
      }
      expect(other.requests).toEqual([]);
      expect(limiter.acquired).toBe(2);
      expect(c.getStats()).toMatchObject({ requests: 2, errors: 2, succeeded: 0 });
    });
  }

  it('never follows HTTPS to HTTP, not even on the same host and port', async () => {
    for (const location of [
      'http://api.example.test/api/v2/networks/solana/pools/P/trades',
      'http://api.example.test:443/api/v2/networks/solana/pools/P/trades',
      'https://api.example.test:8443/api/v2/networks/solana/pools/P/trades',
      'https://evil.example.test/api/v2/networks/solana/pools/P/trades',
    ]) {
      const scripted = scriptedFetch(() => new Response(null, { status: 301, headers: { location } }));
      const err = await failure(
        client('https://api.example.test/api/v2', counting(), scripted).getPoolTradesPage('solana', 'P'),
      );
      expect(err, location).toBeInstanceOf(GeckoRedirectError);
      expect((err as Error).message).toContain(new URL(location).origin);
      expect(scripted.calls.map((c) => c.url)).toEqual([
        'https://api.example.test/api/v2/networks/solana/pools/P/trades',
      ]);
    }
  });

  it('gives up after 5 hops within the origin, each one counted', async () => {
    const scripted = scriptedFetch(
      (url) => new Response(null, { status: 302, headers: { location: `${new URL(url).pathname}?again=1` } }),
    );
    const limiter = counting();
    const err = await failure(
      client('https://api.example.test/api/v2', limiter, scripted).getPoolTradesPage('solana', 'P'),
    );
    expect(err).toBeInstanceOf(GeckoRedirectError);
    expect((err as Error).message).toMatch(/redirected more than 5 times within https:\/\/api\.example\.test/);
    expect(scripted.calls).toHaveLength(6);
    expect(limiter.acquired).toBe(6);
  });

  it('sends the key header only to the configured origin', () => {
    const origin = new ApiOrigin({ baseUrl: 'https://h.test/api', apiKey: KEY, scrubber: new SecretScrubber(KEY) });
    expect(origin.headersFor('https://h.test/api/x')).toMatchObject({ 'x-cg-pro-api-key': KEY });
    for (const elsewhere of ['http://h.test/api/x', 'https://h.test:444/api/x', 'https://other.test/api/x'])
      expect(origin.headersFor(elsewhere), elsewhere).not.toHaveProperty('x-cg-pro-api-key');
  });
});

describe('request paths', () => {
  it('refuses pool addresses and networks that are not plain tokens before any request', async () => {
    const scripted = scriptedFetch(() => new Response('{"data":[]}'));
    const c = client('https://api.example.test/api/v2', counting(), scripted);
    for (const bad of ['.', '..', '.hidden', '%2e%2e', 'a/b', 'a\\b', 'a b', 'a?b', 'a#b', 'é', '', '-x']) {
      const err = await failure(c.getPoolTradesPage('solana', bad));
      expect(err, JSON.stringify(bad)).toBeInstanceOf(GeckoRequestError);
      expect((err as Error).message).toContain(JSON.stringify(bad));
    }
    expect(await failure(c.getTopPools('..'))).toBeInstanceOf(GeckoRequestError);
    expect(scripted.calls).toEqual([]);
    // Real addresses of several chains pass (base58, hex, TON's base64url).
    for (const good of [
      'So11111111111111111111111111111111111111112',
      '0xAbC123',
      'EQA-X_yo3fzzbDbJ_0bzFWKqtRuZFIRa1sJsveZJ1YpViO3r',
    ])
      await c.getPoolTradesPage('solana', good);
    expect(scripted.calls).toHaveLength(3);
  });
});

describe('server text is scrubbed of the key', () => {
  it('masks every spelling of the key: literal, any case, URL-encoded, JSON-escaped, \\u-escaped', () => {
    const s = new SecretScrubber(KEY);
    const u = [...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    expect(s.text(`a ${KEY} b`)).toBe(`a ${SECRET_MASK} b`);
    expect(s.text(KEY.toLowerCase())).toBe(SECRET_MASK);
    expect(s.text(encodeURIComponent(KEY))).toBe(SECRET_MASK);
    expect(s.text(encodeURIComponent(KEY).toLowerCase())).toBe(SECRET_MASK);
    expect(s.body(JSON.stringify({ k: KEY }))).toBe(`{"k":"${SECRET_MASK}"}`);
    expect(s.body(`{"k":"${u}","n":"caf\\u00e9"}`)).toBe(`{"k":"${SECRET_MASK}","n":"café"}`);
    // A body without the key is left as it came, escapes and all.
    expect(s.body('{"n":"caf\\u00e9"}')).toBe('{"n":"caf\\u00e9"}');
    expect(s.body('not json \\ at all')).toBe('not json \\ at all');
    expect(new SecretScrubber(undefined).body(`{"k":"${KEY}"}`)).toBe(`{"k":"${KEY}"}`);
  });

  it('a 4xx echo, a non-JSON echo and echoed trade fields reach errors and reasons masked', async () => {
    const api = await server({
      pools: [
        { address: 'Echo404', script: { fault: 'echo-headers', status: 404 } },
        { address: 'EchoText', script: { fault: 'echo-headers-text' } },
        { address: 'EchoTrade', script: { fault: 'echo-key-in-trade', every: 1 } },
      ],
      newTradesPerRequest: 8,
      poolsScript: { fault: 'echo-key-in-pool' },
    });
    const c = client(api.baseUrl, counting());
    const http = await failure(c.getPoolTradesPage('solana', 'Echo404'));
    expect(http).toBeInstanceOf(GeckoHttpError);
    const text = await failure(c.getPoolTradesPage('solana', 'EchoText'));
    expect(text).toBeInstanceOf(GeckoTerminalError);
    for (const err of [http, text]) {
      expect((err as Error).message).toContain(SECRET_MASK);
      expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain('unitK3y');
    }
    const page = await c.getPoolTradesPage('solana', 'EchoTrade');
    // Volume and kind refused (their reasons show the value), tx hash and sender taken: all with the mask.
    expect(page.rejected).toHaveLength(4);
    for (const r of page.rejected) expect(r.reason).toContain(SECRET_MASK);
    expect(page.trades.map((t) => t.txHash)).toContain(SECRET_MASK);
    expect(page.trades.map((t) => t.txFromAddress)).toContain(SECRET_MASK);
    const pools = await c.getMultiPools('solana', ['EchoTrade']);
    expect(pools.pools[0]!.name).toBe(`echo ${SECRET_MASK}`);
    expect(JSON.stringify({ page, pools })).not.toContain('unitK3y');
  });
});

describe('network errors name their cause', () => {
  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as { port: number };
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  it('a refused port, an unknown host and an untrusted certificate: the code in the message, the cause kept', async () => {
    const tls = await server({
      pools: [{ address: 'P', script: { fault: 'none' } }],
      tls: { key: LOCAL_TLS_KEY, cert: LOCAL_TLS_CERT },
    });
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${await freePort()}/api/v2`, /\(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/],
      // No network in some sandboxes: the resolver then answers EAI_AGAIN instead of ENOTFOUND.
      ['http://does-not-exist.invalid/api/v2', /\((ENOTFOUND|EAI_AGAIN): getaddrinfo \w+ does-not-exist\.invalid\)/],
      [tls.baseUrl, /\(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\)/],
    ];
    for (const [baseUrl, cause] of cases) {
      const err = await failure(client(baseUrl, counting()).getPoolTradesPage('solana', 'P'));
      expect(err, baseUrl).toBeInstanceOf(GeckoNetworkError);
      expect((err as Error).message).toMatch(/^cannot reach GeckoTerminal after 1 attempts /);
      expect((err as Error).message).toMatch(cause);
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
    expect(tls.requests).toEqual([]);
  });
});
