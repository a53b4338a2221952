// An offline GeckoTerminal: a real HTTP server on 127.0.0.1 answering the trades, trades-range, OHLCV and pools
// endpoints the way the API does (last 300 trades of 24 h, newest first, volume filter), over a market with
// ground truth (uniform or skewed rates, bursts; see docs/simulator.md), with switchable faults and counters.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.ts';
import { API_KEY_HEADER } from '../gecko/gecko-client.ts';
import { isDecimalString } from '../trades/decimal-string.ts';
import { seededRandom } from './seeded-random.ts';
import { AnswerCache, answerKey } from './sim-answer-cache.ts';
import { createSimApi, errorReply, type Reply, type Route } from './sim-api-routes.ts';
import { malformedBody, NO_FAULTS, type SimFaults, THROTTLE_BODY } from './sim-faults.ts';
import { simPoolRates } from './sim-market.ts';
import { booleanParam, SimQueryError, timestampParam } from './sim-query.ts';
import { checkBurstOptions, DEFAULT_BURSTS, poolBursts } from './sim-rate-schedule.ts';
import { MAX_POLL_LOG, SIM_REPORT_PREFIX, type SimPoll, type SimServedReport } from './sim-report.ts';
import { createSimPool, type SimPool } from './sim-trade-source.ts';
import { type SimTruthQuery, type SimTruthReport, truthReport } from './sim-truth.ts';
import type { GeckoSimulator, GeckoSimulatorOptions, SimStats } from './simulator-options.ts';

export type { GeckoSimulator, GeckoSimulatorOptions, SimStats } from './simulator-options.ts';
export type { SimFaults };

export const STREAM_ORIGIN_MS = 0;

export async function startGeckoSimulator(options: GeckoSimulatorOptions = {}): Promise<GeckoSimulator> {
  const seed = options.seed ?? 1;
  const network = options.network ?? 'solana';
  const clock = options.clock ?? Date.now;
  const startedAtMs = clock();
  const historyStartMs = startedAtMs - (options.historySeconds ?? 0) * 1000;
  const poolCount = options.pools ?? 3;
  const rates = simPoolRates({
    pools: poolCount,
    market: options.market ?? 'uniform',
    tradesPerSecond: options.tradesPerSecond,
    minTradesPerSecond: options.minTradesPerSecond,
    seed,
  });
  const burstOptions = options.bursts
    ? checkBurstOptions({ ...DEFAULT_BURSTS, ...(options.bursts === true ? {} : options.bursts) })
    : undefined;
  const pools: SimPool[] = rates.map((tradesPerSecond, index) =>
    createSimPool({
      network,
      seed,
      index,
      originMs: options.streamOriginMs ?? STREAM_ORIGIN_MS,
      historyStartMs,
      tradesPerSecond,
      bursts: burstOptions && poolBursts(burstOptions, seed, index),
    }),
  );
  const api = createSimApi({
    network,
    pools,
    maxTradesPerResponse: options.maxTradesPerResponse ?? 300,
    windowMs: options.windowMs ?? 86_400_000,
    rangePageSize: options.rangePageSize ?? 300,
    paid: options.apiKey !== undefined,
  });
  const cacheSeconds = options.cacheSeconds ?? 0;
  if (!(Number.isFinite(cacheSeconds) && cacheSeconds >= 0))
    throw new ConfigError('cacheSeconds', cacheSeconds, 'expected a number of seconds >= 0');
  const cache = cacheSeconds > 0 ? new AnswerCache<Reply>(cacheSeconds * 1000) : undefined;
  let faults: SimFaults = { ...NO_FAULTS, ...options.faults };
  const faultRandom = seededRandom(seed ^ 0x5eed_fa17);
  let malformedCount = 0;
  const served = new Set<string>();
  const servedByPool: Record<string, number> = Object.fromEntries(pools.map((p) => [p.address, 0]));
  const pollLog: SimPoll[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const stats: Omit<SimStats, 'distinctTradesServed'> = {
    requests: 0,
    routes: { trades: 0, range: 0, ohlcv: 0, pools: 0, newPools: 0, multi: 0, unknown: 0 },
    faults: { throttled: 0, serverErrors: 0, malformed: 0, slowed: 0 },
    abandoned: 0,
    unauthorized: 0,
    cacheHits: 0,
    tradeResponses: 0,
    tradesServed: 0,
  };

  /** The good answer: from the cache while it is fresh (every kind but the paid range), else computed now. */
  function goodAnswer(url: URL, found: Route): Reply {
    const now = clock();
    if (!cache || found.kind === 'range') return api.answer(found, url.searchParams, now);
    const key = answerKey(url.pathname, url.searchParams);
    const hit = cache.get(key, now);
    if (hit) {
      stats.cacheHits++;
      const age = String(Math.floor((now - hit.storedAt) / 1000));
      return { ...hit.value, headers: { ...hit.value.headers, age } };
    }
    const fresh = api.answer(found, url.searchParams, now);
    if (fresh.status === 200) cache.set(key, fresh, now);
    return fresh;
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
    const found = api.route(url.pathname);
    if ('status' in found) {
      if (found.status === 401) stats.unauthorized++;
      else stats.routes.unknown++;
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
    const good = goodAnswer(url, found);
    if (good.status === 200 && malformedDraw < faults.malformedRate) {
      stats.faults.malformed++;
      const bad = malformedBody(good.body, malformedCount++, good.trades !== undefined);
      // One broken trade: the rest of the page was served (a collector stores them).
      const rest = bad.firstBroken ? good.trades?.slice(1) : undefined;
      return {
        status: 200,
        body: bad.body,
        ...(rest ? { trades: rest, ...(good.pool ? { pool: good.pool } : {}) } : {}),
      };
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
        for (const t of trades) {
          if (served.has(t.id)) continue;
          served.add(t.id);
          if (out.pool) servedByPool[out.pool.address]!++;
        }
      });
    }
    res.end(body);
  }

  const truth = (query: SimTruthQuery = {}): SimTruthReport => truthReport(pools, query, clock(), startedAtMs);

  const servedReport = (): SimServedReport => ({
    requests: stats.requests,
    tradesServed: stats.tradesServed,
    distinctTradesServed: served.size,
    ids: [...served],
    servedByPool: { ...servedByPool },
    // The run so far, from the start's whole second: trades are stamped in whole seconds.
    truth: truth({ fromMs: Math.floor(startedAtMs / 1000) * 1000 }),
  });

  /** GET /__simulator/truth?from=&to=&pool=&ids=true&min_volume_usd= (from, to: unix seconds or ISO). */
  function truthFromQuery(query: URLSearchParams): SimTruthReport {
    const fromMs = timestampParam(query, 'from');
    const toMs = timestampParam(query, 'to');
    const pool = query.get('pool');
    const minVolumeUsd = query.get('min_volume_usd');
    if (minVolumeUsd !== null && !isDecimalString(minVolumeUsd))
      throw new SimQueryError(`min_volume_usd must be a decimal like 1000.5, got ${JSON.stringify(minVolumeUsd)}`);
    return truth({
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
      ...(pool !== null ? { pool } : {}),
      ...(minVolumeUsd !== null ? { minVolumeUsd } : {}),
      ids: booleanParam(query, 'ids', false),
    });
  }

  /** The simulator's own reports: not API requests, never faulted or counted. */
  function report(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const what = url.pathname.slice(SIM_REPORT_PREFIX.length);
    let status = 200;
    let body: unknown;
    try {
      body =
        what === 'served'
          ? servedReport()
          : what === 'polls'
            ? pollLog
            : what === 'truth'
              ? truthFromQuery(url.searchParams)
              : undefined;
      if (body === undefined) {
        status = 404;
        body = { error: 'try /__simulator/served, /__simulator/polls or /__simulator/truth' };
      }
    } catch (err) {
      if (!(err instanceof SimQueryError)) throw err;
      status = 400;
      body = { error: err.message };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    if (req.url?.startsWith(SIM_REPORT_PREFIX)) {
      report(req, res);
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
    startedAtMs,
    stats: () => ({
      ...stats,
      routes: { ...stats.routes },
      faults: { ...stats.faults },
      distinctTradesServed: served.size,
    }),
    setListings: (listings) => api.setListings(listings),
    setFaults(next) {
      faults = { ...faults, ...next };
    },
    servedTradeIds: () => new Set(served),
    servedReport,
    polls: () => [...pollLog],
    truth,
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
