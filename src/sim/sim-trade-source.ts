// Deterministic per-pool trade streams for the GeckoTerminal simulator: trade k of a pool has a fixed time and
// content for a seed, so "the last 300 before now" is computed on demand and nothing has to be stored.

import { compareDecimalStrings } from '../trades/decimal-string.ts';
import { hashWords as mix, seededRandom } from './seeded-random.ts';
import { expectedCount, type PoolBursts, timeAtCount } from './sim-rate-schedule.ts';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SOL_ADDRESS = 'So11111111111111111111111111111111111111112';
// Anchors block numbers to the fixture (block 363106602 at 2025-08-28T16:15:08Z, ~2.5 Solana slots/s).
const REF_BLOCK = 363_106_602;
const REF_MS = Date.parse('2025-08-28T16:15:08Z');
const SLOT_MS = 400;
const DEXES = [
  { id: 'pump-fun', name: 'Pump.fun' },
  { id: 'raydium', name: 'Raydium' },
  { id: 'meteora', name: 'Meteora' },
] as const;

export interface SimToken {
  address: string;
  name: string;
  symbol: string;
  decimals: number;
}

export interface SimPool {
  network: string;
  seed: number;
  index: number;
  address: string;
  name: string;
  dexId: string;
  dexName: string;
  baseToken: SimToken;
  quoteToken: SimToken;
  /** Trades per second arriving in this pool (outside its bursts). */
  tradesPerSecond: number;
  /** Set for a pool whose rate jumps now and then (see sim-rate-schedule.ts). */
  bursts?: PoolBursts | undefined;
  /** Slot 0 of the stream starts here (ms since epoch). */
  originMs: number;
  /** No trade before this is served (ms since epoch): where the simulator's history begins. */
  historyStartMs: number;
  reserveUsd: string;
  basePriceUsd: number;
}

/** The JSON:API object GeckoTerminal returns for one trade. */
export interface GeckoTradeObject {
  id: string;
  type: 'trade';
  attributes: {
    block_number: number;
    tx_hash: string;
    tx_from_address: string;
    from_token_amount: string;
    to_token_amount: string;
    price_from_in_currency_token: string;
    price_to_in_currency_token: string;
    price_from_in_usd: string;
    price_to_in_usd: string;
    block_timestamp: string;
    kind: 'buy' | 'sell';
    volume_in_usd: string;
    from_token_address: string;
    to_token_address: string;
  };
}

/** The chance that a trade is a buy. */
export const BUY_SHARE = 0.55;

function pick(next: () => number, alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

/** `toFixed` then trailing zeros off, keeping one digit after the point the way GeckoTerminal prints `1.0`. */
function fixed(value: number, fractionDigits: number): string {
  const text = value.toFixed(fractionDigits);
  if (!text.includes('.')) return `${text}.0`;
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? `${trimmed}0` : trimmed;
}

/** A long decimal like GeckoTerminal's: the value's leading digits, then noise digits to full length. */
function longDecimal(next: () => number, value: number, fractionDigits: number, totalLength: number): string {
  const head = value.toFixed(fractionDigits);
  return head + pick(next, DIGITS, Math.max(0, totalLength - head.length));
}

export interface SimPoolSpec {
  network: string;
  seed: number;
  index: number;
  tradesPerSecond: number;
  bursts?: PoolBursts | undefined;
  originMs: number;
  /** Default `originMs`. */
  historyStartMs?: number;
}

export function createSimPool(spec: SimPoolSpec): SimPool {
  const next = seededRandom(mix(spec.seed, spec.index, 0x9001));
  const symbol = pick(next, UPPER, 3 + Math.floor(next() * 3));
  const dex = DEXES[spec.index % DEXES.length]!;
  return {
    ...spec,
    historyStartMs: Math.max(spec.originMs, spec.historyStartMs ?? spec.originMs),
    address: pick(next, BASE58, 44),
    name: `${symbol} / SOL`,
    dexId: dex.id,
    dexName: dex.name,
    baseToken: { address: `${pick(next, BASE58, 40)}pump`, name: symbol, symbol, decimals: 6 },
    quoteToken: { address: SOL_ADDRESS, name: 'Wrapped SOL', symbol: 'SOL', decimals: 9 },
    reserveUsd: longDecimal(next, 1000 + next() * 2_000_000, 4, 14),
    basePriceUsd: 10 ** (-5 + next() * 2),
  };
}

function arrivalFraction(pool: SimPool, k: number): number {
  return mix(pool.seed, pool.index, k, 0x71) / 4294967296;
}

/**
 * When trade k happens: where the pool's count function reaches k plus a fraction drawn for k, so each trade
 * sits in its own slot and times never go backwards. A steady pool's slots are all 1/rate long.
 */
export function tradeTimeMs(pool: SimPool, k: number): number {
  if (pool.bursts) return Math.floor(timeAtCount(pool, k + arrivalFraction(pool, k)));
  return pool.originMs + Math.floor(((k + arrivalFraction(pool, k)) * 1000) / pool.tradesPerSecond);
}

/** Index of the newest trade at or before `nowMs`, -1 when none yet. */
export function latestTradeIndex(pool: SimPool, nowMs: number): number {
  if (nowMs < pool.originMs || pool.tradesPerSecond <= 0) return -1;
  let k = Math.floor(expectedCount(pool, nowMs));
  while (k >= 0 && tradeTimeMs(pool, k) > nowMs) k--;
  while (tradeTimeMs(pool, k + 1) <= nowMs) k++;
  return k;
}

export function simTrade(pool: SimPool, k: number): GeckoTradeObject {
  const next = seededRandom(mix(pool.seed, pool.index, k, 0x7eade));
  const timeMs = tradeTimeMs(pool, k);
  const unix = Math.floor(timeMs / 1000);
  const block = Math.max(1, REF_BLOCK + Math.floor((timeMs - REF_MS) / SLOT_MS));
  const txHash = pick(next, BASE58, 88);
  const logIndex = Math.floor(next() * 60);
  const kind = next() < BUY_SHARE ? 'buy' : 'sell';
  const volume = 10 ** (next() * 4.5 - 0.5);
  const solPrice = 200 + 15 * Math.sin(timeMs / 3_600_000);
  const basePrice = pool.basePriceUsd * (1 + 0.2 * Math.sin(timeMs / 1_100_000 + pool.index));
  const solAmount = fixed(volume / solPrice, 9);
  const baseAmount = fixed(volume / basePrice, pool.baseToken.decimals);
  const solUsd = longDecimal(next, solPrice, 12, 48);
  const baseUsd = longDecimal(next, basePrice, 20, 66);
  const ratio = fixed(basePrice / solPrice, 21);
  const buy = kind === 'buy';
  return {
    id: `${pool.network}_${block}_${txHash}_${logIndex}_${unix}`,
    type: 'trade',
    attributes: {
      block_number: block,
      tx_hash: txHash,
      tx_from_address: pick(next, BASE58, 44),
      // A buy pays SOL (quote) for the pool's base token; a sell the reverse.
      from_token_amount: buy ? solAmount : baseAmount,
      to_token_amount: buy ? baseAmount : solAmount,
      price_from_in_currency_token: buy ? '1.0' : ratio,
      price_to_in_currency_token: buy ? ratio : '1.0',
      price_from_in_usd: buy ? solUsd : baseUsd,
      price_to_in_usd: buy ? baseUsd : solUsd,
      block_timestamp: new Date(unix * 1000).toISOString().replace('.000Z', 'Z'),
      kind,
      volume_in_usd: longDecimal(next, volume, 10, 50 + Math.floor(next() * 25)),
      from_token_address: buy ? pool.quoteToken.address : pool.baseToken.address,
      to_token_address: buy ? pool.baseToken.address : pool.quoteToken.address,
    },
  };
}

export interface RecentTradesOptions {
  /** GeckoTerminal returns at most 300. */
  limit?: number;
  /** Only trades newer than now minus this (24 h). */
  windowMs?: number;
  /** Only trades whose volume is strictly greater. */
  minVolumeUsd?: string;
  /** Stop looking after this many candidates, so a selective filter cannot stall the server. */
  maxScan?: number;
}

/** What the trades endpoint answers at `nowMs`: newest first. */
export function recentTrades(pool: SimPool, nowMs: number, options: RecentTradesOptions = {}): GeckoTradeObject[] {
  const limit = options.limit ?? 300;
  const oldest = nowMs - (options.windowMs ?? 86_400_000);
  const maxScan = options.maxScan ?? 100_000;
  const out: GeckoTradeObject[] = [];
  const newest = latestTradeIndex(pool, nowMs);
  for (let k = newest, scanned = 0; k >= 0 && out.length < limit && scanned < maxScan; k--, scanned++) {
    const ms = tradeTimeMs(pool, k);
    if (ms <= oldest || ms < pool.historyStartMs) break;
    const trade = simTrade(pool, k);
    if (
      options.minVolumeUsd !== undefined &&
      compareDecimalStrings(trade.attributes.volume_in_usd, options.minVolumeUsd) <= 0
    )
      continue;
    out.push(trade);
  }
  return out;
}
