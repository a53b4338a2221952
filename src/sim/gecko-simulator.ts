// An offline GeckoTerminal: a real HTTP server on 127.0.0.1 answering the trades and pools endpoints the way
// the API does (last 300 trades of 24 h, newest first, volume filter), with switchable faults and counters.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY_HEADER } from '../gecko/gecko-client.ts';
import { isDecimalString } from '../trades/decimal-string.ts';
import { seededRandom } from './seeded-random.ts';
import { parseInclude, poolCreatedAtMs, poolsDocument } from './sim-pool-documents.ts';
import { MAX_POLL_LOG, SIM_REPORT_PREFIX, type SimPoll, type SimServedReport } from './sim-report.ts';
import { createSimPool, type GeckoTradeObject, recentTrades, type SimPool } from './sim-trade-source.ts';

export interface SimFaults {
  /** Fraction of requests answered as throttled. */
  throttleRate: number;
  /** `status`: HTTP 429; `body`: HTTP 200 with `{"status":{"error_code":429}}`; `mixed`: either, at random. */
  throttleStyle: 'status' | 'body' | 'mixed';
  /** Retry-After on throttles: seconds, a raw header value (e.g. an HTTP date), or null for none. */
  retryAfter: number | string | null;
  /** Fraction of the remaining requests answered with `serverErrorStatus`. */
  serverErrorRate: number;
  serverErrorStatus: number;
  /** Fraction of the remaining requests answered with a broken 200 body. */
  malformedRate: number;
  /** Every reply waits this long first. */
  slowMs: number;
}

export interface GeckoSimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  network?: string;
  /** How many pools exist. Default 3. */
  pools?: number;
  /** New trades per second, one rate for all pools or one per pool. Default 1. */
  tradesPerSecond?: number | readonly number[];
  /**
   * Trades are served from this far back before start. Default 0. Only the start of what is shown: trade
   * times sit on a grid anchored at the Unix epoch (see STREAM_ORIGIN_MS), not at the start.
   */
  historySeconds?: number;
  /** ms since epoch; defaults to the wall clock. */
  clock?: () => number;
  maxTradesPerResponse?: number;
  windowMs?: number;
  faults?: Partial<SimFaults>;
  /**
   * Act as the paid API: serve under `/api/v3/onchain` (baseUrl says so) and answer 401 to a request whose
   * `x-cg-pro-api-key` header is missing or not this key.
   */
  apiKey?: string;
  /** Sees every request (method, path+query, headers) before it is answered. */
  onRequest?: (request: { method: string; url: string; headers: IncomingMessage['headers'] }) => void;
}

export interface SimStats {
  requests: number;
  routes: { trades: number; pools: number; newPools: number; multi: number; unknown: number };
  faults: { throttled: number; serverErrors: number; malformed: number; slowed: number };
  /** Replies the client hung up on before they were sent (e.g. timed out during slowMs). */
  abandoned: number;
  /** Requests answered 401 for a missing or wrong API key (only with `apiKey`). */
  unauthorized: number;
  /** Trade responses fully handed to the socket. */
  tradeResponses: number;
  /** Trades in those responses, repeats included. */
  tradesServed: number;
  /** Distinct trade ids in those responses: what a correct collector ends up storing. */
  distinctTradesServed: number;
}

export interface GeckoSimulator {
  /** Like `https://api.geckoterminal.com/api/v2` (with `apiKey`: like `https://pro-api.coingecko.com/api/v3/onchain`). */
  baseUrl: string;
  network: string;
  pools: readonly SimPool[];
  stats(): SimStats;
  setFaults(faults: Partial<SimFaults>): void;
  servedTradeIds(): ReadonlySet<string>;
  /** The served trades with their ids (also at GET /__simulator/served). */
  servedReport(): SimServedReport;
  /** Every trades request: when, which pool, which agent (also at GET /__simulator/polls). */
  polls(): SimPoll[];
  close(): Promise<void>;
}

const NO_FAULTS: SimFaults = {
  throttleRate: 0,
  throttleStyle: 'status',
  retryAfter: 1,
  serverErrorRate: 0,
  serverErrorStatus: 503,
  malformedRate: 0,
  slowMs: 0,
};

const THROTTLE_BODY = JSON.stringify({
  status: {
    error_code: 429,
    error_message:
      "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
  },
});
const POOLS_PER_PAGE = 20;
const MAX_MULTI = 30;
/**
 * Slot 0 of every pool's stream. A fixed instant rather than the start time, so that a simulator started
 * later with the same seed serves the same trades at the same wall-clock times: a collector resuming from
 * its cursors then sees the history a continuous run would have seen, as with the real API. Anchored at the
 * start instead, each run would invent a different past, older than the saved cursors and never collectable.
 */
export const STREAM_ORIGIN_MS = 0;

type Route =
  | { kind: 'trades'; pool: SimPool }
  | { kind: 'pools'; pools: SimPool[] }
  | { kind: 'newPools'; pools: SimPool[] }
  | { kind: 'multi'; pools: SimPool[] };

type Reply = { status: number; body: string; headers?: Record<string, string>; trades?: GeckoTradeObject[] };

function errorReply(status: number, title: string): Reply {
  return { status, body: JSON.stringify({ errors: [{ status: String(status), title }] }) };
}

/**
 * Broken bodies of the kinds a parser must refuse, rotated so a run sees each one: an unreadable envelope, or
 * (variants 3–5 of trades) one broken trade whose page-mates are still good (`firstBroken`).
 */
function malformedBody(body: string, variant: number, isTrades: boolean): { body: string; firstBroken: boolean } {
  const out = (text: string, firstBroken = false) => ({ body: text, firstBroken });
  const doc = JSON.parse(body) as {
    data: Array<{ attributes: Record<string, unknown>; relationships?: Record<string, unknown> }>;
  };
  const first = doc.data[0];
  const kinds = isTrades ? 6 : 4;
  switch (first ? variant % kinds : variant % 3) {
    case 0:
      return out(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
    case 1:
      return out('<html><body><h1>502 Bad Gateway</h1></body></html>');
    case 2:
      return out(JSON.stringify({ data: { oops: true } }));
    case 3:
      if (isTrades) first!.attributes.block_number = String(first!.attributes.block_number);
      else delete first!.relationships?.dex;
      return out(JSON.stringify(doc), isTrades);
    case 4:
      first!.attributes.volume_in_usd = 'NaN';
      return out(JSON.stringify(doc), true);
    default:
      first!.attributes.kind = 'swap';
      return out(JSON.stringify(doc), true);
  }
}

export async function startGeckoSimulator(options: GeckoSimulatorOptions = {}): Promise<GeckoSimulator> {
  const seed = options.seed ?? 1;
  const network = options.network ?? 'solana';
  const clock = options.clock ?? Date.now;
  const historyStartMs = clock() - (options.historySeconds ?? 0) * 1000;
  const rates = options.tradesPerSecond ?? 1;
  const pools: SimPool[] = Array.from({ length: options.pools ?? 3 }, (_, index) =>
    createSimPool({
      network,
      seed,
      index,
      originMs: STREAM_ORIGIN_MS,
      historyStartMs,
      tradesPerSecond: typeof rates === 'number' ? rates : (rates[index] ?? rates[rates.length - 1] ?? 1),
    }),
  );
  const byAddress = new Map(pools.map((p) => [p.address, p]));
  const maxTrades = options.maxTradesPerResponse ?? 300;
  const windowMs = options.windowMs ?? 86_400_000;
  let faults: SimFaults = { ...NO_FAULTS, ...options.faults };
  const faultRandom = seededRandom(seed ^ 0x5eed_fa17);
  let malformedCount = 0;
  const served = new Set<string>();
  const pollLog: SimPoll[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const stats: Omit<SimStats, 'distinctTradesServed'> = {
    requests: 0,
    routes: { trades: 0, pools: 0, newPools: 0, multi: 0, unknown: 0 },
    faults: { throttled: 0, serverErrors: 0, malformed: 0, slowed: 0 },
    abandoned: 0,
    unauthorized: 0,
    tradeResponses: 0,
    tradesServed: 0,
  };

  function route(pathname: string): Route | Reply {
    const parts = pathname
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    // The public API's /api/v2 or the paid API's /api/v3/onchain: the same paths follow.
    const prefix =
      parts[0] === 'api' && parts[1] === 'v2'
        ? 2
        : parts[0] === 'api' && parts[1] === 'v3' && parts[2] === 'onchain'
          ? 3
          : 0;
    if (prefix === 0 || parts[prefix] !== 'networks' || parts[prefix + 1] === undefined)
      return errorReply(404, 'Not Found');
    if (parts[prefix + 1] !== network) return errorReply(404, 'Network not found');
    const rest = parts.slice(prefix + 2);
    if (rest.length === 1 && rest[0] === 'pools')
      return { kind: 'pools', pools: [...pools].sort((a, b) => Number(b.reserveUsd) - Number(a.reserveUsd)) };
    if (rest.length === 1 && rest[0] === 'new_pools')
      return { kind: 'newPools', pools: [...pools].sort((a, b) => poolCreatedAtMs(b) - poolCreatedAtMs(a)) };
    if (rest.length === 3 && rest[0] === 'pools' && rest[1] === 'multi') {
      const addresses = rest[2]!.split(',');
      if (addresses.length > MAX_MULTI) return errorReply(400, `At most ${MAX_MULTI} addresses`);
      return {
        kind: 'multi',
        pools: addresses.map((a) => byAddress.get(a)).filter((p): p is SimPool => p !== undefined),
      };
    }
    if (rest.length === 3 && rest[0] === 'pools' && rest[2] === 'trades') {
      const pool = byAddress.get(rest[1]!);
      return pool ? { kind: 'trades', pool } : errorReply(404, 'Pool not found');
    }
    return errorReply(404, 'Not Found');
  }

  function answer(found: Route, query: URLSearchParams): Reply {
    if (found.kind === 'trades') {
      const min = query.get('trade_volume_in_usd_greater_than');
      if (min !== null && !isDecimalString(min)) return errorReply(400, 'Invalid trade_volume_in_usd_greater_than');
      const trades = recentTrades(found.pool, clock(), {
        limit: maxTrades,
        windowMs,
        ...(min === null ? {} : { minVolumeUsd: min }),
      });
      return { status: 200, body: JSON.stringify({ data: trades }), trades };
    }
    let list = found.pools;
    if (found.kind !== 'multi') {
      const page = Number(query.get('page') ?? '1');
      if (!(Number.isSafeInteger(page) && page >= 1)) return errorReply(400, 'Invalid page');
      list = list.slice((page - 1) * POOLS_PER_PAGE, page * POOLS_PER_PAGE);
    }
    return { status: 200, body: JSON.stringify(poolsDocument(list, parseInclude(query.get('include')))) };
  }

  /** Decides the reply now (faults drawn in request order, so a seed replays the same run). */
  function reply(req: IncomingMessage): Reply {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method !== 'GET') return errorReply(405, 'Method Not Allowed');
    if (options.apiKey !== undefined) {
      const given = req.headers[API_KEY_HEADER];
      if (given !== options.apiKey) {
        stats.unauthorized++;
        return {
          status: 401,
          body: JSON.stringify({
            status:
              given === undefined
                ? { error_code: 10002, error_message: 'API Key Missing' }
                : { error_code: 10010, error_message: 'Invalid API Key' },
          }),
        };
      }
    }
    const found = route(url.pathname);
    if ('status' in found) {
      stats.routes.unknown++;
      return found;
    }
    stats.routes[found.kind]++;
    if (found.kind === 'trades') {
      if (pollLog.length >= MAX_POLL_LOG) pollLog.shift();
      pollLog.push({ at: clock(), pool: found.pool.address, agent: String(req.headers['user-agent'] ?? '') });
    }
    const [throttleDraw, styleDraw, serverDraw, malformedDraw] = [
      faultRandom(),
      faultRandom(),
      faultRandom(),
      faultRandom(),
    ];
    if (throttleDraw < faults.throttleRate) {
      stats.faults.throttled++;
      const headers: Record<string, string> = {};
      if (faults.retryAfter !== null) headers['retry-after'] = String(faults.retryAfter);
      const asBody = faults.throttleStyle === 'body' || (faults.throttleStyle === 'mixed' && styleDraw < 0.5);
      return { status: asBody ? 200 : 429, body: THROTTLE_BODY, headers };
    }
    if (serverDraw < faults.serverErrorRate) {
      stats.faults.serverErrors++;
      return errorReply(faults.serverErrorStatus, 'Service Unavailable');
    }
    const good = answer(found, url.searchParams);
    if (good.status === 200 && malformedDraw < faults.malformedRate) {
      stats.faults.malformed++;
      const bad = malformedBody(good.body, malformedCount++, found.kind === 'trades');
      // One broken trade: the rest of the page was served (a collector stores them).
      const rest = bad.firstBroken ? good.trades?.slice(1) : undefined;
      return { status: 200, body: bad.body, ...(rest ? { trades: rest } : {}) };
    }
    return good;
  }

  function send(req: IncomingMessage, res: ServerResponse, out: Reply): void {
    if (res.destroyed || res.writableEnded || req.socket.destroyed) {
      stats.abandoned++;
      return;
    }
    const body = Buffer.from(out.body);
    res.writeHead(out.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      ...out.headers,
    });
    const trades = out.trades;
    if (trades) {
      // Counted only once the whole body left: a reply cut off mid-way was not "served".
      res.once('finish', () => {
        stats.tradeResponses++;
        stats.tradesServed += trades.length;
        for (const t of trades) served.add(t.id);
      });
    }
    res.end(body);
  }

  const servedReport = (): SimServedReport => ({
    requests: stats.requests,
    tradesServed: stats.tradesServed,
    distinctTradesServed: served.size,
    ids: [...served],
  });

  const server = createServer((req, res) => {
    if (req.url?.startsWith(SIM_REPORT_PREFIX)) {
      // The simulator's own reports: not API requests, never faulted or counted.
      const what = req.url.slice(SIM_REPORT_PREFIX.length);
      const body = what === 'served' ? servedReport() : what === 'polls' ? pollLog : undefined;
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: 'try /__simulator/served or /__simulator/polls' }));
      return;
    }
    stats.requests++;
    options.onRequest?.({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const delay = faults.slowMs;
    if (delay <= 0) {
      send(req, res, reply(req));
      return;
    }
    stats.faults.slowed++;
    const timer = setTimeout(() => {
      pending.delete(timer);
      send(req, res, reply(req));
    }, delay);
    pending.add(timer);
    res.once('close', () => {
      // The client gave up (its timeout, an abort) before the reply was due.
      if (!pending.delete(timer)) return;
      clearTimeout(timer);
      stats.abandoned++;
    });
  });
  // Tests open and drop many short connections; keep-alive stays on as with the real API.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    baseUrl: `http://${host}:${address.port}${options.apiKey !== undefined ? '/api/v3/onchain' : '/api/v2'}`,
    network,
    pools,
    stats: () => ({
      ...stats,
      routes: { ...stats.routes },
      faults: { ...stats.faults },
      distinctTradesServed: served.size,
    }),
    setFaults(next) {
      faults = { ...faults, ...next };
    },
    servedTradeIds: () => new Set(served),
    servedReport,
    polls: () => [...pollLog],
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
