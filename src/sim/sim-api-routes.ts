// The API paths the simulator answers and each answer, computed from the trade streams: a pool's trades (the last
// 300 of 24 h), the paid API's trades in a time range, OHLCV candles, and the pool lists.

import { isDecimalString } from '../trades/decimal-string.ts';
import { CandleMemo, ohlcvDocument, parseOhlcvQuery, simCandles } from './sim-ohlcv.ts';
import { parseInclude, poolCreatedAtMs, poolsDocument } from './sim-pool-documents.ts';
import { SimQueryError, timestampParam } from './sim-query.ts';
import { type GeckoTradeObject, recentTrades, type SimPool } from './sim-trade-source.ts';

export type Route =
  | { kind: 'trades'; pool: SimPool }
  | { kind: 'range'; pool: SimPool }
  | { kind: 'ohlcv'; pool: SimPool; timeframe: string }
  | { kind: 'pools'; pools: SimPool[] }
  | { kind: 'newPools'; pools: SimPool[] }
  | { kind: 'multi'; pools: SimPool[] };

export type RouteKind = Route['kind'];

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** The trades in the body (counted as served once it is sent) and their pool. */
  trades?: GeckoTradeObject[];
  pool?: SimPool;
}

export function errorReply(status: number, title: string): Reply {
  return { status, body: JSON.stringify({ errors: [{ status: String(status), title }] }) };
}

/** What the paid API answers a plan without the endpoint; the simulator says it to every keyless caller. */
export const PAID_ONLY_REPLY: Reply = {
  status: 401,
  body: JSON.stringify({
    status: {
      error_code: 10005,
      error_message:
        'This endpoint is only available on a paid plan (Analyst and above): call /api/v3/onchain with the x-cg-pro-api-key header.',
    },
  }),
};

export interface SimApiOptions {
  network: string;
  pools: readonly SimPool[];
  /** The trades endpoint's cut (300). */
  maxTradesPerResponse: number;
  /** The trades endpoint's reach back (24 h). */
  windowMs: number;
  /** The range endpoint's cut: a longer answer keeps its newest trades. */
  rangePageSize: number;
  /** The simulator acts as the paid API (it has an API key): the range endpoint is served under /api/v3/onchain. */
  paid: boolean;
}

const POOLS_PER_PAGE = 20;
const MAX_MULTI = 30;

/**
 * What the pools lists show, by address in order (a pool listed stays collectable either way); a list not given
 * ranks every pool as the simulator does by itself (top by reserve, new by creation time).
 */
export interface SimListings {
  top?: readonly string[] | undefined;
  newPools?: readonly string[] | undefined;
}

export interface SimApi {
  /** Changes what the top and new pools lists show from now on. */
  setListings(listings: SimListings): void;
  /** The route of a path, or the reply for a path that has none (404) or is refused (the range endpoint keyless). */
  route(pathname: string): Route | Reply;
  answer(route: Route, query: URLSearchParams, nowMs: number): Reply;
}

export function createSimApi(options: SimApiOptions): SimApi {
  const { network, pools } = options;
  const byAddress = new Map(pools.map((p) => [p.address, p]));
  const memo = new CandleMemo();
  let listings: SimListings = {};
  const listed = (order: readonly string[] | undefined, ranked: () => SimPool[]): SimPool[] =>
    order ? order.map((a) => byAddress.get(a)).filter((p): p is SimPool => p !== undefined) : ranked();

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
      return {
        kind: 'pools',
        pools: listed(listings.top, () => [...pools].sort((a, b) => Number(b.reserveUsd) - Number(a.reserveUsd))),
      };
    if (rest.length === 1 && rest[0] === 'new_pools')
      return {
        kind: 'newPools',
        pools: listed(listings.newPools, () => [...pools].sort((a, b) => poolCreatedAtMs(b) - poolCreatedAtMs(a))),
      };
    if (rest.length === 3 && rest[0] === 'pools' && rest[1] === 'multi') {
      const addresses = rest[2]!.split(',');
      if (addresses.length > MAX_MULTI) return errorReply(400, `At most ${MAX_MULTI} addresses`);
      return {
        kind: 'multi',
        pools: addresses.map((a) => byAddress.get(a)).filter((p): p is SimPool => p !== undefined),
      };
    }
    if (rest[0] !== 'pools' || rest.length < 3) return errorReply(404, 'Not Found');
    const pool = byAddress.get(rest[1]!);
    const tail = rest.slice(2).join('/');
    const known = tail === 'trades' || tail === 'trades/range' || (rest[2] === 'ohlcv' && rest.length === 4);
    if (!known) return errorReply(404, 'Not Found');
    // Refused before the pool is looked up: a keyless caller learns nothing from this endpoint.
    if (tail === 'trades/range' && !(options.paid && prefix === 3)) return PAID_ONLY_REPLY;
    if (!pool) return errorReply(404, 'Pool not found');
    if (tail === 'trades') return { kind: 'trades', pool };
    if (tail === 'trades/range') return { kind: 'range', pool };
    return { kind: 'ohlcv', pool, timeframe: rest[3]! };
  }

  function minVolume(query: URLSearchParams): { minVolumeUsd?: string } {
    const min = query.get('trade_volume_in_usd_greater_than');
    if (min === null) return {};
    if (!isDecimalString(min)) throw new SimQueryError('Invalid trade_volume_in_usd_greater_than');
    return { minVolumeUsd: min };
  }

  /**
   * The range endpoint: trades whose block_timestamp (whole seconds) lies in [start_timestamp, end_timestamp],
   * both ends included, newest first, cut at rangePageSize (the newest kept, as the trades endpoint does).
   */
  function rangeAnswer(pool: SimPool, query: URLSearchParams, nowMs: number): GeckoTradeObject[] {
    const startMs = timestampParam(query, 'start_timestamp');
    if (startMs === undefined) throw new SimQueryError('start_timestamp is required (unix seconds)');
    const endMs = timestampParam(query, 'end_timestamp') ?? nowMs;
    if (endMs < startMs) throw new SimQueryError('end_timestamp is before start_timestamp');
    const fromMs = Math.ceil(startMs / 1000) * 1000;
    const atMs = Math.min(Math.floor(endMs / 1000) * 1000 + 999, nowMs);
    if (atMs < fromMs) return [];
    return recentTrades(pool, atMs, {
      limit: options.rangePageSize,
      windowMs: atMs - fromMs + 1,
      ...minVolume(query),
    });
  }

  function answer(found: Route, query: URLSearchParams, nowMs: number): Reply {
    try {
      if (found.kind === 'trades' || found.kind === 'range') {
        const trades =
          found.kind === 'range'
            ? rangeAnswer(found.pool, query, nowMs)
            : recentTrades(found.pool, nowMs, {
                limit: options.maxTradesPerResponse,
                windowMs: options.windowMs,
                ...minVolume(query),
              });
        return { status: 200, body: JSON.stringify({ data: trades }), trades, pool: found.pool };
      }
      if (found.kind === 'ohlcv') {
        const q = parseOhlcvQuery(found.timeframe, query, found.pool);
        const candles = simCandles(found.pool, q, nowMs, memo);
        return { status: 200, body: JSON.stringify(ohlcvDocument(found.pool, q, candles)) };
      }
    } catch (err) {
      if (err instanceof SimQueryError) return errorReply(400, err.message);
      throw err;
    }
    let list = found.pools;
    if (found.kind !== 'multi') {
      const page = Number(query.get('page') ?? '1');
      if (!(Number.isSafeInteger(page) && page >= 1)) return errorReply(400, 'Invalid page');
      list = list.slice((page - 1) * POOLS_PER_PAGE, page * POOLS_PER_PAGE);
    }
    return { status: 200, body: JSON.stringify(poolsDocument(list, parseInclude(query.get('include')), nowMs)) };
  }

  return {
    setListings: (next) => {
      listings = { ...listings, ...next };
    },
    route,
    answer,
  };
}
