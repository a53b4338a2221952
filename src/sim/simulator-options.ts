// What the simulator is started with (pools, rates, market, bursts, faults, the paid API's key) and the handle
// it returns (its URL, pools, counters, fault switches, what it served and the ground truth).

import type { IncomingMessage } from 'node:http';
import type { RouteKind, SimListings } from './sim-api-routes.ts';
import type { SimFaults } from './sim-faults.ts';
import type { SimMarketKind } from './sim-market.ts';
import type { SimBurstOptions } from './sim-rate-schedule.ts';
import type { SimPoll, SimServedReport } from './sim-report.ts';
import type { SimPool } from './sim-trade-source.ts';
import type { SimTruthQuery, SimTruthReport } from './sim-truth.ts';

export interface GeckoSimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  network?: string;
  /** How many pools exist. Default 3. */
  pools?: number;
  /**
   * New trades per second. In a uniform market one rate for all pools or one per pool (default 1); in a skewed
   * market the busiest pool's rate (default 60).
   */
  tradesPerSecond?: number | readonly number[];
  /**
   * `uniform` (default): every pool at `tradesPerSecond`. `skewed`: a heavy-tailed spread from `tradesPerSecond`
   * down to `minTradesPerSecond`, dealt to the pools in an order drawn from the seed (see sim-market.ts).
   */
  market?: SimMarketKind;
  /** The skewed market's quietest pool. Default 0.05. */
  minTradesPerSecond?: number;
  /** Bursts (a pool's rate ×10 for a while): true for DEFAULT_BURSTS, or some of their settings. Default: none. */
  bursts?: boolean | Partial<SimBurstOptions>;
  /**
   * The keyless API's cache: a trades, OHLCV or pools answer is served unchanged for this many seconds per path
   * and query (GeckoTerminal: ~60). Default 0, no cache, as the paid API serves trades.
   */
  cacheSeconds?: number;
  /** The paid range endpoint's page cap: a longer answer keeps its newest trades. Default 300. */
  rangePageSize?: number;
  /**
   * Trades are served from this far back before start. Default 0. Only the start of what is shown: trade
   * times sit on a grid anchored at the Unix epoch (see STREAM_ORIGIN_MS), not at the start.
   */
  historySeconds?: number;
  /** ms since epoch; defaults to the wall clock. */
  clock?: () => number;
  /**
   * Slot 0 of every pool's stream and of its burst windows (ms since epoch). Default STREAM_ORIGIN_MS. Two
   * simulators with the same seed and origin serve the same trades at the same instants; shifting the origin by
   * as much as the start moves the whole market with it (a bench's runs then each see the same market).
   */
  streamOriginMs?: number;
  maxTradesPerResponse?: number;
  windowMs?: number;
  faults?: Partial<SimFaults>;
  /**
   * Act as the paid API: serve under `/api/v3/onchain` (baseUrl says so), answer 401 to a request whose
   * `x-cg-pro-api-key` header is missing or not this key, and serve the trades range endpoint.
   */
  apiKey?: string;
  /** Sees every request (method, path+query, headers) before it is answered. */
  onRequest?: (request: { method: string; url: string; headers: IncomingMessage['headers'] }) => void;
}

export interface SimStats {
  requests: number;
  routes: Record<RouteKind | 'unknown', number>;
  faults: { throttled: number; serverErrors: number; malformed: number; slowed: number };
  /** Replies the client hung up on before they were sent (e.g. timed out during slowMs). */
  abandoned: number;
  /** Requests answered 401: a missing or wrong API key (with `apiKey`), or the range endpoint asked keyless. */
  unauthorized: number;
  /** Answers served from the cache (`cacheSeconds`). */
  cacheHits: number;
  /** Trade responses (trades and range endpoints) fully handed to the socket. */
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
  /** When it started (ms since epoch, its clock): where the truth ledger starts by default. */
  startedAtMs: number;
  stats(): SimStats;
  setFaults(faults: Partial<SimFaults>): void;
  /** What the top and new pools lists show from now on (a market whose ranking changes while a run goes on). */
  setListings(listings: SimListings): void;
  servedTradeIds(): ReadonlySet<string>;
  /** The served trades with their ids (also at GET /__simulator/served). */
  servedReport(): SimServedReport;
  /** Every trades request: when, which pool, which agent (also at GET /__simulator/polls). */
  polls(): SimPoll[];
  /**
   * The truth ledger: the trades each pool made in [fromMs, toMs), fetched or not (also at GET
   * /__simulator/truth). SimQueryError for an unknown pool, a reversed interval, ids without a pool.
   */
  truth(query?: SimTruthQuery): SimTruthReport;
  close(): Promise<void>;
}

/**
 * Slot 0 of every pool's stream. A fixed instant rather than the start time, so that a simulator started
 * later with the same seed serves the same trades at the same wall-clock times: a collector resuming from
 * its cursors then sees the history a continuous run would have seen, as with the real API. Anchored at the
 * start instead, each run would invent a different past, older than the saved cursors and never collectable.
 */
