// A hostile GeckoTerminal on 127.0.0.1: a real HTTP (or HTTPS) server whose pools each follow a script (good
// trades, bad rows, future timestamps, endless / trickling / huge bodies, 429 with an extreme Retry-After, 401,
// HTML, redirects, request headers echoed back) and which records, per pool, every trade it fully served, so a
// test can compare served with stored trade by trade, and every request's headers.

import { createServer, type IncomingHttpHeaders, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll } from 'vitest';
import { API_KEY_HEADER } from '../../src/gecko/api-origin.ts';

/** One malformed trade object: how it is broken, and whether the writer's row checks still accept it. */
export interface BadRowVariant {
  name: string;
  /** Breaks a well-formed trade object in place (or returns a replacement value for the whole item). */
  apply(item: TradeObject): unknown;
  /**
   * The writer's per-row checks (src/trades/trade-validation.ts) take this row as it is: a null tx hash, an
   * exponent in a decimal and a timestamp without `Z` (read as UTC) are what legacy rows carry too.
   */
  accepted: boolean;
}

export interface TradeObject {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
}

const attr = (item: TradeObject) => item.attributes;
const setAttribute =
  (key: string, value: unknown) =>
  (item: TradeObject): undefined => {
    item.attributes[key] = value;
  };

/** The 20 bad-row variants (issue 13): each trade of a page that carries one must still be stored. */
export const BAD_ROW_VARIANTS: readonly BadRowVariant[] = [
  { name: 'missing volume_in_usd', apply: (t) => void delete attr(t).volume_in_usd, accepted: false },
  { name: 'volume "NaN"', apply: setAttribute('volume_in_usd', 'NaN'), accepted: false },
  { name: 'volume "Infinity"', apply: setAttribute('volume_in_usd', 'Infinity'), accepted: false },
  { name: 'amount "-1.5"', apply: setAttribute('from_token_amount', '-1.5'), accepted: false },
  { name: 'amount "1e5"', apply: setAttribute('to_token_amount', '1e5'), accepted: true },
  { name: 'volume as a number', apply: setAttribute('volume_in_usd', 12.5), accepted: false },
  { name: 'block_number 1e20', apply: setAttribute('block_number', 1e20), accepted: false },
  { name: 'empty tx_hash', apply: setAttribute('tx_hash', ''), accepted: true },
  { name: 'null tx_hash', apply: setAttribute('tx_hash', null), accepted: true },
  { name: 'month 13', apply: setAttribute('block_timestamp', '2025-13-01T00:00:00Z'), accepted: false },
  { name: 'timestamp "yesterday"', apply: setAttribute('block_timestamp', 'yesterday'), accepted: false },
  { name: 'kind "hold"', apply: setAttribute('kind', 'hold'), accepted: false },
  { name: 'missing id', apply: (t) => void delete (t as Partial<TradeObject>).id, accepted: false },
  {
    name: 'type "pool"',
    apply: (t) => {
      t.type = 'pool';
    },
    accepted: false,
  },
  {
    name: 'attributes null',
    apply: (t) => {
      t.attributes = null as never;
    },
    accepted: false,
  },
  { name: 'item null', apply: () => null, accepted: false },
  { name: 'item a string', apply: () => 'trade', accepted: false },
  { name: 'block_number -1', apply: setAttribute('block_number', -1), accepted: false },
  { name: 'February 30', apply: setAttribute('block_timestamp', '2025-02-30T12:00:00Z'), accepted: false },
  {
    // Both sides' USD prices: whichever one the trade's kind takes is too long.
    name: 'price 101 digits',
    apply: (t) => {
      attr(t).price_to_in_usd = '1'.repeat(101);
      attr(t).price_from_in_usd = '1'.repeat(101);
    },
    accepted: false,
  },
];

export type PoolScript =
  /** Good trades only. */
  | { fault: 'none' }
  /** Trade k is broken by `variant` whenever k % every === 0 (so a bad trade moves through the window). */
  | { fault: 'bad-row'; variant: BadRowVariant; every?: number }
  /** Trade k carries `timestamp` whenever k % every === 0 (e.g. 2099-01-01T00:00:00Z, or now + 1 h). */
  | { fault: 'future-timestamp'; timestamp: () => string; every?: number }
  /** A 200 whose body never ends (valid trades, comma after comma). */
  | { fault: 'endless-body' }
  /** A 200 whose body arrives a few bytes at a time, forever. */
  | { fault: 'trickle-body'; bytesPerChunk?: number; chunkIntervalMs?: number }
  /** A valid body of `bytes` (its page padded with a meta string), streamed. */
  | { fault: 'huge-body'; bytes: number }
  /** HTTP 429 with this Retry-After, every time. */
  | { fault: 'throttle'; retryAfter: string }
  /** This HTTP status (e.g. 401) with a JSON error body. */
  | { fault: 'status'; status: number }
  /** A 200 with an HTML page (a proxy's login or error page). */
  | { fault: 'html' }
  /**
   * This status (301, 302, 307, 308) with a Location: `to` (another origin's base URL) plus the same path; without
   * `to`, this server's own path again with `?hop=1`, which is answered like `none`.
   */
  | { fault: 'redirect'; status: number; to?: string }
  /** This status (a 4xx) with the request's headers as its JSON body (a debugging proxy's error page). */
  | { fault: 'echo-headers'; status: number }
  /** A 200 whose body is the request's headers as text, `name: value` a line, the API key's first (not JSON). */
  | { fault: 'echo-headers-text' }
  /**
   * Good trades, but trade k carries the request's API key whenever k % every === 0, in turn: as the volume
   * (refused, its reason shows the value), as the tx hash (taken), URL-encoded as the sender (taken), and
   * \u-escaped in the JSON text as the kind (refused).
   */
  | { fault: 'echo-key-in-trade'; every?: number }
  /**
   * Good trades, then `items` (raw JSON text of more `data` items, comma-separated: too deep or too many for
   * JSON.stringify to build) at the end of `data`.
   */
  | { fault: 'extra-items'; items: string };

/** How the pools endpoints (top, new, multi) answer. */
export type PoolsScript =
  /** An empty list (no metadata: the collector stores trades without it). */
  | { fault: 'none' }
  /** Like the trades redirect to another origin. */
  | { fault: 'redirect'; status: number; to: string }
  /** Like the trades echo: this status with the request's headers as its JSON body. */
  | { fault: 'echo-headers'; status: number }
  /** A 200 describing each pool asked for (or one for top/new), named after the request's API key header. */
  | { fault: 'echo-key-in-pool' };

export interface HostilePool {
  address: string;
  script: PoolScript;
}

export interface ServedBadRow {
  /** The trade's id as served (undefined when the variant removed or replaced it). */
  id: string | undefined;
  /** Index of the stream position k (stable across responses). */
  k: number;
  variant: string;
  accepted: boolean;
}

export interface PoolRecord {
  /** Trades requests received for the pool. */
  requests: number;
  /** When each request arrived (ms since epoch). */
  requestTimes: number[];
  /** Responses written to the end. */
  completed: number;
  /** Responses the client hung up on before their end. */
  abandoned: number;
  /** Bytes written for the pool (all responses). */
  bytesWritten: number;
  /** Distinct well-formed trades in completed responses, by id. */
  good: Map<string, TradeObject>;
  /** Distinct broken (or future) trades in completed responses, by stream position. */
  bad: Map<number, ServedBadRow>;
}

export interface HostileServerOptions {
  network?: string;
  pools: readonly HostilePool[];
  /** New trades per pool per request. Default 5. */
  newTradesPerRequest?: number;
  /** Trades per page (the API's is 300). Default 300. */
  pageSize?: number;
  /** Time of stream position 0 (trade k is k seconds later). Default: 2 h ago. */
  startMs?: number;
  /** How the pools endpoints answer. Default `none`. */
  poolsScript?: PoolsScript;
  /** Serve HTTPS with this key and certificate (test/support/local-tls.ts) instead of HTTP. */
  tls?: { key: string; cert: string };
}

/** One request as it arrived, whatever its path. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface HostileGeckoServer {
  /** Like `https://api.geckoterminal.com/api/v2`. */
  baseUrl: string;
  /** `http://127.0.0.1:PORT` (or https). */
  origin: string;
  network: string;
  /** Every request received, in order. */
  requests: ReceivedRequest[];
  record(address: string): PoolRecord;
  /** `{network}_{address}`. */
  poolId(address: string): string;
  close(): Promise<void>;
}

/** A well-formed trade at stream position k of a pool (deterministic). */
export function goodTrade(network: string, poolIndex: number, k: number, startMs: number): TradeObject {
  const ms = startMs + k * 1000;
  const unix = Math.floor(ms / 1000);
  const block = 300_000_000 + k;
  const tx = `Tx${poolIndex}n${k}`.padEnd(40, 'z');
  const amount = `${(k % 97) + 1}.${String(k).padStart(6, '0')}`;
  return {
    id: `${network}_${block}_${tx}_${poolIndex}_${unix}`,
    type: 'trade',
    attributes: {
      block_number: block,
      tx_hash: tx,
      tx_from_address: `From${poolIndex}x${k % 13}`.padEnd(32, '1'),
      from_token_amount: amount,
      to_token_amount: `${k + 10}.5`,
      price_from_in_currency_token: '1.0',
      price_to_in_currency_token: '0.000000232249498856316',
      price_from_in_usd: '212.618160283895494927350632339277383984859223512',
      price_to_in_usd: '0.0000493804611736865774611869570754394294604142126779721093309794408',
      block_timestamp: new Date(unix * 1000).toISOString().replace('.000Z', 'Z'),
      kind: k % 2 === 0 ? 'buy' : 'sell',
      volume_in_usd: `${(k % 500) + 1}.25`,
      from_token_address: 'So11111111111111111111111111111111111111112',
      to_token_address: `Tok${poolIndex}`.padEnd(44, 'p'),
    },
  };
}

const CHUNK = 64 * 1024;
/** Where echo-key-in-trade puts the key, in turn, and whether the row checks take the trade. */
const ECHOED_KEY_FIELDS: readonly (readonly [field: string, accepted: boolean])[] = [
  ['volume_in_usd', false],
  ['tx_hash', true],
  ['tx_from_address', true],
  ['kind', false],
];
/** Replaced in the serialized body by the key with every character \u-escaped. */
const U_ESCAPED_KEY = '@@u-escaped-key@@';

function uEscaped(text: string): string {
  return [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
}

/** The request's headers, the API key's first (so an excerpt of the echo holds it). */
function keyFirst(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { [API_KEY_HEADER]: key, ...rest } = headers;
  return key === undefined ? rest : { [API_KEY_HEADER]: key, ...rest };
}

function headerText(headers: IncomingHttpHeaders): string {
  return Object.entries(keyFirst(headers))
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\n');
}

function headerEcho(headers: IncomingHttpHeaders): string {
  return JSON.stringify({ request: { headers: keyFirst(headers) }, error: 'bad request' });
}

interface PoolState {
  index: number;
  pool: HostilePool;
  /** Stream positions produced so far (trades 0 … produced-1 exist). */
  produced: number;
  record: PoolRecord;
}

export async function startHostileGeckoServer(options: HostileServerOptions): Promise<HostileGeckoServer> {
  const network = options.network ?? 'solana';
  const perRequest = options.newTradesPerRequest ?? 5;
  const pageSize = options.pageSize ?? 300;
  const startMs = options.startMs ?? Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
  const pools = new Map<string, PoolState>();
  options.pools.forEach((pool, index) => {
    pools.set(pool.address, {
      index,
      pool,
      produced: 0,
      record: {
        requests: 0,
        requestTimes: [],
        completed: 0,
        abandoned: 0,
        bytesWritten: 0,
        good: new Map(),
        bad: new Map(),
      },
    });
  });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  /** The page of a pool with a trade-level script: newest first, and what it holds (recorded once sent). */
  function page(state: PoolState, apiKey = ''): { items: unknown[]; good: TradeObject[]; bad: ServedBadRow[] } {
    state.produced += perRequest;
    const items: unknown[] = [];
    const good: TradeObject[] = [];
    const bad: ServedBadRow[] = [];
    const script = state.pool.script;
    for (let k = state.produced - 1; k >= Math.max(0, state.produced - pageSize); k--) {
      const trade = goodTrade(network, state.index, k, startMs);
      if (script.fault === 'bad-row' && k % (script.every ?? 10) === 0) {
        const replaced = script.variant.apply(trade);
        const item = replaced === undefined ? trade : replaced;
        items.push(item);
        const id = typeof (item as TradeObject | null)?.id === 'string' ? (item as TradeObject).id : undefined;
        bad.push({ id, k, variant: script.variant.name, accepted: script.variant.accepted });
      } else if (script.fault === 'future-timestamp' && k % (script.every ?? 10) === 0) {
        trade.attributes.block_timestamp = script.timestamp();
        items.push(trade);
        bad.push({ id: trade.id, k, variant: `future ${trade.attributes.block_timestamp}`, accepted: false });
      } else if (script.fault === 'echo-key-in-trade' && k % (script.every ?? 5) === 0) {
        const turn = (k / (script.every ?? 5)) % ECHOED_KEY_FIELDS.length;
        const [field, accepted] = ECHOED_KEY_FIELDS[turn]!;
        trade.attributes[field] = turn === 2 ? encodeURIComponent(apiKey) : turn === 3 ? U_ESCAPED_KEY : apiKey;
        items.push(trade);
        bad.push({ id: trade.id, k, variant: `API key in ${field}`, accepted });
      } else {
        items.push(trade);
        good.push(trade);
      }
    }
    return { items, good, bad };
  }

  function keep(state: PoolState, good: TradeObject[], bad: ServedBadRow[]): void {
    for (const t of good) state.record.good.set(t.id, t);
    for (const b of bad) state.record.bad.set(b.k, b);
  }

  /** Writes `chunks()` with backpressure until it returns undefined or the client goes away. */
  function stream(res: ServerResponse, state: PoolState, next: () => string | undefined, done: () => void): void {
    const pump = () => {
      for (;;) {
        if (res.destroyed) return;
        const chunk = next();
        if (chunk === undefined) {
          res.end(done);
          return;
        }
        state.record.bytesWritten += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }

  /** The pool's next page (its script's bad rows in place), recorded once sent to the end. */
  /** `extra`: raw JSON text of more `data` items, appended as it is. */
  function serveGoodPage(res: ServerResponse, state: PoolState, extra?: string): void {
    const p = page(state);
    const body =
      extra === undefined
        ? JSON.stringify({ data: p.items })
        : `{"data":[${[...p.items.map((t) => JSON.stringify(t)), extra].join(',')}]}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    state.record.bytesWritten += body.length;
    res.end(body, () => {
      state.record.completed++;
      keep(state, p.good, p.bad);
    });
  }

  function answerPools(res: ServerResponse, headers: IncomingHttpHeaders, url: URL, asked: readonly string[]): void {
    const script = options.poolsScript ?? { fault: 'none' };
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(body);
    };
    switch (script.fault) {
      case 'none':
        send(200, '{"data":[],"included":[]}');
        return;
      case 'redirect':
        send(script.status, '{}', { location: `${script.to}${url.pathname.replace(/^\/api\/v2/, '')}${url.search}` });
        return;
      case 'echo-headers':
        send(script.status, headerEcho(headers));
        return;
      case 'echo-key-in-pool': {
        const key = String(headers[API_KEY_HEADER] ?? '');
        const addresses = asked.length > 0 ? asked : [...pools.keys()].slice(0, 1);
        const data = addresses.map((address) => ({
          id: `${network}_${address}`,
          type: 'pool',
          attributes: { address, name: `echo ${key}`, reserve_in_usd: '1000.5', pool_created_at: null },
          relationships: { dex: { data: { id: 'echo-dex', type: 'dex' } } },
        }));
        const included = [{ id: 'echo-dex', type: 'dex', attributes: { name: `dex ${key}` } }];
        send(200, JSON.stringify({ data, included }));
        return;
      }
    }
  }

  function answerTrades(res: ServerResponse, state: PoolState, headers: IncomingHttpHeaders, url: URL): void {
    const script = state.pool.script;
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      state.record.bytesWritten += body.length;
      res.end(body, () => state.record.completed++);
    };
    switch (script.fault) {
      case 'none':
      case 'bad-row':
      case 'future-timestamp':
        serveGoodPage(res, state);
        return;
      case 'extra-items':
        serveGoodPage(res, state, script.items);
        return;
      case 'throttle':
        json(429, '{"status":{"error_code":429,"error_message":"Rate limited"}}', { 'retry-after': script.retryAfter });
        return;
      case 'status':
        json(script.status, `{"status":{"error_code":${script.status},"error_message":"refused"}}`);
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>', () => state.record.completed++);
        return;
      case 'redirect': {
        if (script.to === undefined && url.searchParams.get('hop') === '1') {
          serveGoodPage(res, state);
          return;
        }
        const location =
          script.to === undefined
            ? `${url.pathname}?hop=1`
            : `${script.to}${url.pathname.replace(/^\/api\/v2/, '')}${url.search}`;
        json(script.status, '{}', { location });
        return;
      }
      case 'echo-headers':
        json(script.status, headerEcho(headers));
        return;
      case 'echo-headers-text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(headerText(headers), () => state.record.completed++);
        return;
      case 'echo-key-in-trade': {
        const key = String(headers[API_KEY_HEADER] ?? '');
        const p = page(state, key);
        const body = JSON.stringify({ data: p.items }).replaceAll(`"${U_ESCAPED_KEY}"`, `"${uEscaped(key)}"`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body, () => {
          state.record.completed++;
          keep(state, p.good, p.bad);
        });
        return;
      }
      case 'endless-body': {
        res.writeHead(200, { 'content-type': 'application/json' });
        let k = 0;
        const one = JSON.stringify(goodTrade(network, state.index, 0, startMs));
        stream(
          res,
          state,
          () => (k++ === 0 ? `{"data":[${one}` : `,${one}`.repeat(Math.ceil(CHUNK / one.length))),
          () => undefined,
        );
        return;
      }
      case 'huge-body': {
        const p = page(state);
        const head = `{"data":${JSON.stringify(p.items)},"meta":{"pad":"`;
        const tail = '"}}';
        let left = Math.max(0, script.bytes - head.length - tail.length);
        let stage = 0;
        res.writeHead(200, { 'content-type': 'application/json' });
        stream(
          res,
          state,
          () => {
            if (stage === 0) {
              stage = 1;
              return head;
            }
            if (left > 0) {
              const n = Math.min(CHUNK, left);
              left -= n;
              return 'x'.repeat(n);
            }
            if (stage === 1) {
              stage = 2;
              return tail;
            }
            return undefined;
          },
          () => {
            state.record.completed++;
            keep(state, p.good, p.bad);
          },
        );
        return;
      }
      case 'trickle-body': {
        const body = JSON.stringify({ data: page(state).items });
        const size = script.bytesPerChunk ?? 1;
        let at = 0;
        res.writeHead(200, { 'content-type': 'application/json' });
        const tick = () => {
          if (res.destroyed) return;
          // Never reaches the end: the last byte is held back for ever.
          if (at < body.length - 1) {
            const chunk = body.slice(at, Math.min(at + size, body.length - 1));
            at += chunk.length;
            state.record.bytesWritten += chunk.length;
            res.write(chunk);
          }
          const timer = setTimeout(() => {
            timers.delete(timer);
            tick();
          }, script.chunkIntervalMs ?? 200);
          timers.add(timer);
        };
        tick();
        return;
      }
    }
  }

  const requests: ReceivedRequest[] = [];
  const answer: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: `${url.pathname}${url.search}`, headers: req.headers });
    const trades = /^\/api\/v2\/networks\/([^/]+)\/pools\/([^/]+)\/trades$/.exec(url.pathname);
    if (trades && trades[1] === network) {
      const state = pools.get(decodeURIComponent(trades[2]!));
      if (state) {
        state.record.requests++;
        state.record.requestTimes.push(Date.now());
        res.on('close', () => {
          if (!res.writableFinished) state.record.abandoned++;
        });
        answerTrades(res, state, req.headers, url);
        return;
      }
    }
    const multi = /^\/api\/v2\/networks\/[^/]+\/pools\/multi\/([^/]+)$/.exec(url.pathname);
    if (multi || /^\/api\/v2\/networks\/[^/]+\/(pools|new_pools)$/.test(url.pathname)) {
      answerPools(res, req.headers, url, multi ? decodeURIComponent(multi[1]!).split(',') : []);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"status":"404","title":"Not Found"}]}');
  };
  const server = options.tls ? createHttpsServer(options.tls, answer) : createServer(answer);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stateOf = (address: string): PoolState => {
    const state = pools.get(address);
    if (!state) throw new RangeError(`no pool ${address} on the hostile server`);
    return state;
  };
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    baseUrl: `${origin}/api/v2`,
    origin,
    network,
    requests,
    record: (address) => stateOf(address).record,
    poolId: (address) => `${network}_${address}`,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * startHostileGeckoServer for a test file: every server it starts is closed after the file. Call it at collection
 * time (an afterAll registered inside a running test would never run).
 */
export function hostileServers(): (options: HostileServerOptions) => Promise<HostileGeckoServer> {
  const started: HostileGeckoServer[] = [];
  afterAll(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (options) => {
    const s = await startHostileGeckoServer(options);
    started.push(s);
    return s;
  };
}

/**
 * A stop condition for a run against `server`: `cond`, then one more request of every pool that had an answer
 * completed when it held. A pool polls again only after its previous answer was handled, so none the server
 * finished sending is still being read at the stop (which would abort it, and tests count what the server served).
 */
export function settled(server: HostileGeckoServer, addresses: readonly string[], cond: () => boolean): () => boolean {
  let mark: Map<string, number> | undefined;
  return () => {
    if (!mark) {
      if (!cond()) return false;
      const answered = addresses.filter((a) => server.record(a).completed > 0);
      mark = new Map(answered.map((a) => [a, server.record(a).requests]));
    }
    return [...mark].every(([address, requests]) => server.record(address).requests > requests);
  };
}
