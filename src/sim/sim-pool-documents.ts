// JSON:API pool objects (and their included tokens and dex) for the simulator's pools endpoints, shaped like
// new_pools_solana.json so the real pool parser reads them unchanged.

import { BUY_SHARE, type SimPool, type SimToken } from './sim-trade-source.ts';
import { tradesMade } from './sim-truth.ts';

export type PoolInclude = 'base_token' | 'quote_token' | 'dex';

interface JsonApiObject {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  relationships?: Record<string, { data: { id: string; type: string } }>;
}

export interface PoolsDocument {
  data: JsonApiObject[];
  included?: JsonApiObject[];
}

/** When the simulator says a pool was created: an hour apart per index, before its history began. */
export function poolCreatedAtMs(pool: SimPool): number {
  return Math.floor(pool.historyStartMs / 1000) * 1000 - (pool.index + 1) * 3_600_000;
}

function tokenId(pool: SimPool, token: SimToken): string {
  return `${pool.network}_${token.address}`;
}

type Period = 'm5' | 'm15' | 'm30' | 'h1' | 'h6' | 'h24';

/** Each `transactions` / `volume_usd` window's length, as the API names them. */
export const PERIOD_MS: Readonly<Record<Period, number>> = {
  m5: 300_000,
  m15: 900_000,
  m30: 1_800_000,
  h1: 3_600_000,
  h6: 21_600_000,
  h24: 86_400_000,
};

function periods<T>(value: T): Record<Period, T> {
  return { m5: value, m15: value, m30: value, h1: value, h6: value, h24: value };
}

export interface PeriodCounts {
  buys: number;
  sells: number;
  buyers: number;
  sellers: number;
}

/**
 * A pool's `transactions` at `nowMs`: per window, the trades the truth ledger says it made in (now - window, now]
 * (none before its history). Split by the trades' buy share; every trade has its own wallet, so buyers = buys.
 */
export function poolTransactions(pool: SimPool, nowMs: number): Record<Period, PeriodCounts> {
  const out = {} as Record<Period, PeriodCounts>;
  for (const [period, ms] of Object.entries(PERIOD_MS) as [Period, number][]) {
    const made = tradesMade(pool, nowMs - ms + 1, nowMs + 1);
    const buys = Math.round(made * BUY_SHARE);
    out[period] = { buys, sells: made - buys, buyers: buys, sellers: made - buys };
  }
  return out;
}

function poolObject(pool: SimPool, nowMs: number): JsonApiObject {
  return {
    id: `${pool.network}_${pool.address}`,
    type: 'pool',
    attributes: {
      base_token_price_usd: pool.basePriceUsd.toFixed(20),
      base_token_price_native_currency: 'NaN',
      quote_token_price_usd: '200.0',
      quote_token_price_native_currency: 'NaN',
      base_token_price_quote_token: null,
      quote_token_price_base_token: null,
      address: pool.address,
      name: pool.name,
      pool_created_at: new Date(poolCreatedAtMs(pool)).toISOString().replace('.000Z', 'Z'),
      fdv_usd: null,
      market_cap_usd: null,
      price_change_percentage: periods('0.0'),
      transactions: poolTransactions(pool, nowMs),
      volume_usd: periods('0.0'),
      reserve_in_usd: pool.reserveUsd,
    },
    relationships: {
      base_token: { data: { id: tokenId(pool, pool.baseToken), type: 'token' } },
      quote_token: { data: { id: tokenId(pool, pool.quoteToken), type: 'token' } },
      dex: { data: { id: pool.dexId, type: 'dex' } },
    },
  };
}

function tokenObject(pool: SimPool, token: SimToken): JsonApiObject {
  return {
    id: tokenId(pool, token),
    type: 'token',
    attributes: {
      address: token.address,
      name: token.name,
      symbol: token.symbol,
      decimals: token.decimals,
      image_url: null,
      coingecko_coin_id: null,
    },
  };
}

/** The pools as the API shows them at `nowMs` (their `transactions` counted up to then). */
export function poolsDocument(
  pools: readonly SimPool[],
  include: ReadonlySet<PoolInclude>,
  nowMs: number,
): PoolsDocument {
  const doc: PoolsDocument = { data: pools.map((p) => poolObject(p, nowMs)) };
  if (include.size === 0) return doc;
  const included = new Map<string, JsonApiObject>();
  for (const pool of pools) {
    if (include.has('base_token'))
      included.set(`token:${tokenId(pool, pool.baseToken)}`, tokenObject(pool, pool.baseToken));
    if (include.has('quote_token'))
      included.set(`token:${tokenId(pool, pool.quoteToken)}`, tokenObject(pool, pool.quoteToken));
    if (include.has('dex'))
      included.set(`dex:${pool.dexId}`, { id: pool.dexId, type: 'dex', attributes: { name: pool.dexName } });
  }
  doc.included = [...included.values()];
  return doc;
}

export function parseInclude(value: string | null): Set<PoolInclude> {
  const out = new Set<PoolInclude>();
  for (const part of (value ?? '').split(',')) {
    if (part === 'base_token' || part === 'quote_token' || part === 'dex') out.add(part);
  }
  return out;
}
