// The GeckoTerminal HTTP client a collector thread uses: one rate-limit slot per request (each redirect hop
// too), requests only to the configured origin (api-origin.ts), each attempt bounded in time and size and
// scrubbed of the API key (http-attempt.ts), retries with backoff on 5xx/network/timeout, and a capped
// Retry-After on throttles.

import { abortableSleep, type Sleep } from '../common/abortable-sleep.ts';
import { linkSignals } from '../common/linked-signal.ts';
import { isPathToken } from '../config/path-token.ts';
import type { Logger } from '../logging/logger.ts';
import { componentLogger } from '../logging/logger.ts';
import type { TradeRecord } from '../protocol/records.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import { decimalFromInput } from '../trades/decimal-string.ts';
import { ApiOrigin } from './api-origin.ts';
import { GeckoRequestError, GeckoThrottledError, networkFailureText } from './gecko-errors.ts';
import { type Attempt, type AttemptSettings, finalAttemptError, sendAttempt } from './http-attempt.ts';
import { fetchTransport, nodeHttpTransport } from './http-transport.ts';
import { type ParsedPools, parsePoolsBody } from './pool-parser.ts';
import { backoffDelayMs } from './retry-timing.ts';
import { SecretScrubber } from './secret-scrubber.ts';
import { parseTradesPage, type TradesPage } from './trade-parser.ts';

export const GECKO_API_BASE_URL = 'https://api.geckoterminal.com/api/v2';
/** CoinGecko's paid API: the same on-chain data, the key in the `x-cg-pro-api-key` header. */
export const GECKO_PRO_API_BASE_URL = 'https://pro-api.coingecko.com/api/v3/onchain';
export { API_KEY_HEADER, GECKO_ACCEPT } from './api-origin.ts';
export const MAX_MULTI_POOLS = 30;
const POOL_INCLUDE = 'base_token,quote_token,dex';
/** The largest real response is ~150 KB: 4 MiB leaves room and bounds what a hostile server can make us hold. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** How long one throttle reply holds off every thread sharing the limit (the throttled call waits on its own). */
export const DEFAULT_MAX_SHARED_PAUSE_MS = 5_000;

export interface GeckoClientOptions {
  /** Every HTTP request (retries included) first takes one slot from it. Share one across threads. */
  rateLimiter: RateLimiter;
  /**
   * Default: the public API, or with `apiKey` the paid one (GECKO_PRO_API_BASE_URL). Requests go to its origin
   * only: a redirect elsewhere (HTTPS to HTTP included) is refused with GeckoRedirectError.
   */
  baseUrl?: string;
  /**
   * A CoinGecko API key: sent in the `x-cg-pro-api-key` header to the base URL's origin only, never logged or put
   * in an error; server text that echoes it (bodies, excerpts, reasons, stored values) has it masked.
   */
  apiKey?: string;
  /** Per attempt, covering connect, headers and the whole body. Default 15 s. */
  timeoutMs?: number;
  /** A body longer than this is cut off while streaming (GeckoResponseTooLargeError). Default 4 MiB. */
  maxResponseBytes?: number;
  /** Extra attempts after a 5xx, network error or timeout. Default 3. */
  maxRetries?: number;
  /** Extra attempts after a throttle. Default 5. */
  maxThrottleRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this is cut to it (and said so in the log). Default 60 s. */
  maxRetryAfterMs?: number;
  /**
   * A throttle pauses the limit shared with other threads for at most this long; the throttled call itself
   * waits the (capped) Retry-After. When the whole host throttles, every call gets its own 429 and waits.
   * Default 5 s.
   */
  maxSharedPauseMs?: number;
  /** A trade whose block time is later than now plus this is rejected on arrival (the writer's allowance). */
  maxClockSkewMs?: number;
  sleep?: Sleep;
  random?: () => number;
  /** Requests go through this `fetch` instead of node:http(s) (which keeps undici out of collector threads). */
  fetch?: typeof fetch;
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
  /** Sent as User-Agent (say which collector process asks); default: the runtime's own. */
  userAgent?: string;
}

/** What one call cost: its HTTP attempts and throttle replies (a caller's per-pool figures). */
export interface CallStats {
  requests: number;
  throttled: number;
  /** Epoch ms when the call's last request left (its rate-limit slot granted). */
  sentAt?: number;
  /** How old a cached answer was (its `Age` header, ms); absent when the reply had none. */
  ageMs?: number;
}

/** A caller's right to send, which can end while its call waits (e.g. a pool lease). */
export interface SendPermit {
  /** Aborted once the caller may no longer send: a wait for a rate-limit slot or a retry ends at once. */
  readonly signal: AbortSignal;
  /** Brings `signal` up to date (aborts it if the right ended meanwhile); called right before each attempt leaves. */
  refresh(): void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Counts this call's attempts and throttles into it as they happen. */
  stats?: CallStats;
  /** No attempt leaves once it is aborted; an attempt already sent is answered as usual. */
  permit?: SendPermit;
}

export interface TradesRequestOptions extends RequestOptions {
  /** Only trades above this USD volume (`trade_volume_in_usd_greater_than`). */
  minVolumeUsd?: number | string;
}

export interface PoolsPageOptions extends RequestOptions {
  page?: number;
}

export interface GeckoClientStats {
  /** HTTP requests sent (each attempt counts). */
  requests: number;
  /** Throttle replies (HTTP 429 or a 429 status body). */
  throttled: number;
  /** Attempts that were repeats of an earlier one. */
  retries: number;
  /** Calls that ended in an error for the caller (caller aborts excluded). */
  errors: number;
  /** Calls that returned data (a usable response). */
  succeeded: number;
}

/** A network id or pool address as one URL path segment; GeckoRequestError when it is not a plain token. */
export function pathSegment(value: string, what: string): string {
  if (!isPathToken(value)) {
    throw new GeckoRequestError(
      `invalid ${what} ${JSON.stringify(value)}: must be a plain token (a letter or digit, then letters, digits, _ . - : ~)`,
    );
  }
  return encodeURIComponent(value);
}

export class GeckoTerminalClient {
  private readonly origin: ApiOrigin;
  private readonly scrubber: SecretScrubber;
  private readonly limiter: RateLimiter;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxThrottleRetries: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly maxRetryAfterMs: number;
  private readonly maxSharedPauseMs: number;
  private readonly maxClockSkewMs: number | undefined;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly log: Logger;
  /** What each HTTP attempt needs (http-attempt.ts). */
  private readonly attempt: AttemptSettings;
  private readonly stats: GeckoClientStats = { requests: 0, throttled: 0, retries: 0, errors: 0, succeeded: 0 };

  constructor(options: GeckoClientOptions) {
    this.limiter = options.rateLimiter;
    const keyed = options.apiKey !== undefined && options.apiKey !== '';
    this.scrubber = new SecretScrubber(options.apiKey);
    this.origin = new ApiOrigin({
      baseUrl: options.baseUrl ?? (keyed ? GECKO_PRO_API_BASE_URL : GECKO_API_BASE_URL),
      apiKey: options.apiKey,
      userAgent: options.userAgent,
      scrubber: this.scrubber,
    });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxThrottleRetries = options.maxThrottleRetries ?? 5;
    this.backoff = { baseMs: options.backoffBaseMs ?? 1000, maxMs: options.backoffMaxMs ?? 30_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.maxSharedPauseMs = options.maxSharedPauseMs ?? DEFAULT_MAX_SHARED_PAUSE_MS;
    this.maxClockSkewMs = options.maxClockSkewMs;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.log = options.logger ?? componentLogger('gecko-client');
    this.attempt = {
      transport: options.fetch ? fetchTransport(options.fetch) : nodeHttpTransport,
      origin: this.origin,
      scrubber: this.scrubber,
      timeoutMs: this.timeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      keyed,
    };
  }

  /**
   * The last 300 trades of the past 24 h, newest first (GeckoTerminal has no paging or `since`). Trades that
   * fail the row checks are left out: getPoolTradesPage returns them with their reasons.
   */
  async getPoolTrades(
    network: string,
    poolAddress: string,
    options: TradesRequestOptions = {},
  ): Promise<TradeRecord[]> {
    return (await this.getPoolTradesPage(network, poolAddress, options)).trades;
  }

  /**
   * The same response split: the trades that passed the row checks (the writer's own), and those refused,
   * each with its index, id when readable, and reason. Only an unreadable envelope throws GeckoTerminalError.
   */
  async getPoolTradesPage(
    network: string,
    poolAddress: string,
    options: TradesRequestOptions = {},
  ): Promise<TradesPage> {
    const path = `/networks/${pathSegment(network, 'network')}/pools/${pathSegment(poolAddress, 'pool address')}/trades`;
    const query = new URLSearchParams();
    if (options.minVolumeUsd !== undefined) {
      const min = decimalFromInput(options.minVolumeUsd);
      if (min === undefined)
        throw new GeckoRequestError(
          `invalid minVolumeUsd ${JSON.stringify(options.minVolumeUsd)}: must be a non-negative decimal`,
        );
      query.set('trade_volume_in_usd_greater_than', min);
    }
    return this.get(path, query, options, (body) =>
      parseTradesPage(body, {
        network,
        poolAddress,
        ...(this.maxClockSkewMs !== undefined ? { maxClockSkewMs: this.maxClockSkewMs } : {}),
      }),
    );
  }

  async getTopPools(network: string, options: PoolsPageOptions = {}): Promise<ParsedPools> {
    const path = `/networks/${pathSegment(network, 'network')}/pools`;
    return this.get(path, this.poolsQuery(options.page), options, (body) =>
      parsePoolsBody(body, { network, discoverySource: 'top_pools' }),
    );
  }

  async getNewPools(network: string, options: PoolsPageOptions = {}): Promise<ParsedPools> {
    const path = `/networks/${pathSegment(network, 'network')}/new_pools`;
    return this.get(path, this.poolsQuery(options.page), options, (body) =>
      parsePoolsBody(body, { network, discoverySource: 'new_pools' }),
    );
  }

  /** Up to 30 pools by address in one call. */
  async getMultiPools(
    network: string,
    addresses: readonly string[],
    options: RequestOptions = {},
  ): Promise<ParsedPools> {
    if (addresses.length === 0) throw new GeckoRequestError('getMultiPools needs at least one pool address');
    if (addresses.length > MAX_MULTI_POOLS) {
      throw new GeckoRequestError(
        `getMultiPools takes at most ${MAX_MULTI_POOLS} addresses per call, got ${addresses.length}: split the list`,
      );
    }
    const list = addresses.map((a) => pathSegment(a, 'pool address')).join(',');
    const path = `/networks/${pathSegment(network, 'network')}/pools/multi/${list}`;
    return this.get(path, this.poolsQuery(undefined), options, (body) =>
      parsePoolsBody(body, { network, discoverySource: null }),
    );
  }

  /**
   * A GET of `path` (segments made with pathSegment) under the base URL, with the same rate limit, origin,
   * bounds and retries as every other call; `parse` reads the scrubbed body (range-requests.ts uses it).
   */
  getPath<T>(path: string, query: URLSearchParams, options: RequestOptions, parse: (body: string) => T): Promise<T> {
    return this.get(path, query, options, parse);
  }

  getStats(): GeckoClientStats {
    return { ...this.stats };
  }

  private poolsQuery(page: number | undefined): URLSearchParams {
    const query = new URLSearchParams({ include: POOL_INCLUDE });
    if (page !== undefined) {
      if (!(Number.isSafeInteger(page) && page >= 1))
        throw new GeckoRequestError(`invalid page ${JSON.stringify(page)}: must be an integer >= 1`);
      query.set('page', String(page));
    }
    return query;
  }

  private async get<T>(
    path: string,
    query: URLSearchParams,
    options: RequestOptions,
    parse: (body: string) => T,
  ): Promise<T> {
    const { signal, permit } = options;
    // Waits end on the caller's signal or the end of its permit; a request on the wire only on the caller's.
    const waits = permit ? linkSignals([signal, permit.signal]) : undefined;
    try {
      const result = parse(await this.request(path, query, { ...options, waitSignal: waits?.signal ?? signal }));
      this.stats.succeeded++;
      return result;
    } catch (err) {
      if (!signal?.aborted && !permit?.signal.aborted) this.stats.errors++;
      throw err;
    } finally {
      waits?.dispose();
    }
  }

  /** Runs the retry loop and returns the body of the first successful reply. */
  private async request(
    path: string,
    query: URLSearchParams,
    call: RequestOptions & { waitSignal: AbortSignal | undefined },
  ): Promise<string> {
    const { stats: callStats, waitSignal } = call;
    const url = this.origin.url(path, query);
    let failures = 0;
    let throttles = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const outcome = await this.exchange(url, call);
      if (outcome.kind === 'ok') {
        if (callStats && outcome.ageMs !== undefined) callStats.ageMs = outcome.ageMs;
        return outcome.body;
      }
      if (outcome.kind === 'throttled') {
        this.stats.throttled++;
        if (callStats) callStats.throttled++;
        if (throttles >= this.maxThrottleRetries) {
          throw new GeckoThrottledError(
            `GeckoTerminal still throttling after ${throttles + 1} attempts: ${url}`,
            url,
            outcome.retryAfterMs,
          );
        }
        const asked = outcome.retryAfterMs;
        const wait = Math.min(this.maxRetryAfterMs, asked ?? backoffDelayMs(throttles, this.backoff, this.random));
        throttles++;
        if (asked !== undefined && asked > this.maxRetryAfterMs) {
          this.log.warn(
            { url, retryAfterMs: asked, waitMs: wait },
            `throttled by GeckoTerminal with Retry-After ${Math.round(asked / 1000)} s, longer than the ${Math.round(this.maxRetryAfterMs / 1000)} s cap (--max-retry-after): this call waits ${Math.round(wait / 1000)} s, the other pools go on`,
          );
        } else {
          this.log.warn({ url, waitMs: wait, retryAfterMs: asked }, 'throttled by GeckoTerminal, waiting');
        }
        // The limit is shared: every thread holds off a moment (a burst draws throttles), but only this call
        // waits out the Retry-After. If the whole host throttles, every call gets its own reply and waits.
        this.limiter.pause?.(Math.min(wait, this.maxSharedPauseMs));
        await this.sleep(wait, waitSignal);
        continue;
      }
      if (failures >= this.maxRetries)
        throw finalAttemptError(outcome, url, failures + 1, this.timeoutMs, (e) => this.networkCause(e));
      const wait = backoffDelayMs(failures, this.backoff, this.random);
      failures++;
      this.log.warn(
        {
          url,
          outcome: outcome.kind,
          status: outcome.kind === 'server' ? outcome.status : undefined,
          cause: outcome.kind === 'network' ? this.networkCause(outcome.error) : undefined,
          waitMs: wait,
        },
        'GeckoTerminal request failed, retrying',
      );
      await this.sleep(wait, waitSignal);
    }
  }

  /** A connection error's code and text (a TLS error can quote the server's certificate: scrubbed too). */
  private networkCause(error: unknown): string {
    return this.scrubber.text(networkFailureText(error));
  }

  /**
   * One attempt: the request and the redirect hops it is sent on within the origin, each hop taking a rate-limit
   * slot of its own; a redirect elsewhere throws GeckoRedirectError (not retried).
   */
  private async exchange(
    url: string,
    call: RequestOptions & { waitSignal: AbortSignal | undefined },
  ): Promise<Attempt> {
    const { signal, stats: callStats, permit, waitSignal } = call;
    let target = url;
    for (let hop = 1; ; hop++) {
      // Asked before the slot is taken and again once it is granted: the wait may have been long.
      permit?.refresh();
      await this.limiter.acquire(waitSignal);
      permit?.refresh();
      permit?.signal.throwIfAborted();
      this.stats.requests++;
      if (callStats) {
        callStats.requests++;
        callStats.sentAt = Date.now();
      }
      const outcome = await sendAttempt(this.attempt, target, signal);
      if (outcome.kind !== 'redirect') return outcome;
      target = this.origin.follow(target, outcome.status, outcome.location, hop);
    }
  }
}
