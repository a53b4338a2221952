// Deterministic trades shaped like the real fixture (88-char tx hashes, 40-70 digit decimals, Solana ids):
// trade `i` of a seed is always the same, so threads can generate their own share without shipping data.

import type { TradeRecord } from '../protocol/records.ts';
import { seededRandom } from './seeded-random.ts';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const DIGITS = '0123456789';
const START_BLOCK = 363_000_000;
const START_UNIX = 1_756_300_000;

// Built with join so strings are flat, like strings decoded from an HTTP body; `+=` would leave V8 ropes
// that make regexes and structured clone look several times slower than they are on real data.
function pickString(next: () => number, alphabet: string, length: number): string {
  const chars: string[] = new Array(length);
  for (let k = 0; k < length; k++) chars[k] = alphabet[Math.floor(next() * alphabet.length)]!;
  return chars.join('');
}

function decimal(next: () => number, intDigits: number, fracDigits: number): string {
  const int = intDigits === 0 ? '0' : String(1 + Math.floor(next() * 9)) + pickString(next, DIGITS, intDigits - 1);
  return flat(fracDigits === 0 ? int : `${int}.${pickString(next, DIGITS, fracDigits)}`);
}

/** Forces V8 to flatten a concatenated string. */
function flat(s: string): string {
  return [s].join('');
}

export function syntheticPoolId(poolIndex: number): string {
  const next = seededRandom(0x9e3779b9 ^ poolIndex);
  return flat(`solana_${pickString(next, BASE58, 44)}`);
}

export interface SyntheticTradeOptions {
  seed?: number;
  pools?: number;
}

/** What trade `index`'s id is made of (the first draws of its generator), and the generator, to draw the rest. */
function tradeHead(index: number, seed: number) {
  const next = seededRandom(Math.imul(index + 1, 0x85ebca6b) ^ Math.imul(seed, 0xc2b2ae35));
  const block = START_BLOCK + Math.floor(index / 3);
  const unix = START_UNIX + Math.floor(index / 2);
  const txHash = pickString(next, BASE58, 88);
  const logIndex = Math.floor(next() * 60);
  return { next, block, unix, txHash, id: flat(`solana_${block}_${txHash}_${logIndex}_${unix}`) };
}

/** Trade number `index`'s id alone, without generating the rest of the trade (a fifth of the work). */
export function syntheticTradeId(index: number, seed = 1): string {
  return tradeHead(index, seed).id;
}

/** Trade number `index` (0-based; later index = later trade) of the deterministic stream. */
export function syntheticTrade(index: number, options: SyntheticTradeOptions = {}): TradeRecord {
  const pools = options.pools ?? 16;
  const { next, block, unix, txHash, id } = tradeHead(index, options.seed ?? 1);
  const side = next() < 0.55 ? 'buy' : 'sell';
  const iso = new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
  return {
    id,
    poolId: syntheticPoolId(index % pools),
    blockNumber: block,
    txHash,
    txFromAddress: pickString(next, BASE58, 44),
    fromTokenAmount: decimal(next, 1 + Math.floor(next() * 3), 9),
    toTokenAmount: decimal(next, 5 + Math.floor(next() * 4), 5 + Math.floor(next() * 4)),
    priceUsd: flat(`0.0000${decimal(next, 0, 62).slice(2)}`),
    volumeUsd: decimal(next, 1 + Math.floor(next() * 4), 50 + Math.floor(next() * 8)),
    side,
    blockTimestamp: iso,
  };
}

export interface ProducerPlan {
  /** Trade indices this producer offers, in the order it offers them. */
  indices: number[];
  /** How many of them belong to other producers' shares (re-polled overlap). */
  duplicates: number;
}

/**
 * Splits `offered` trades among `producers`: each gets its own contiguous share of the unique trades plus
 * a `duplicateFraction` of trades from the next producer's share, interleaved the way overlapping
 * API windows repeat recent trades. Unique total = round(offered * (1 - duplicateFraction)).
 */
export function planProducers(
  offered: number,
  producers: number,
  duplicateFraction: number,
): { unique: number; plans: ProducerPlan[] } {
  if (!(duplicateFraction >= 0 && duplicateFraction < 1))
    throw new RangeError(`duplicate fraction ${duplicateFraction} must be in [0, 1)`);
  const unique = Math.round(offered * (1 - duplicateFraction));
  const plans: ProducerPlan[] = [];
  const shareStart = (p: number) => Math.floor((unique * p) / producers);
  for (let p = 0; p < producers; p++) {
    const own: number[] = [];
    for (let i = shareStart(p); i < shareStart(p + 1); i++) own.push(i);
    const offeredHere = Math.floor((offered * (p + 1)) / producers) - Math.floor((offered * p) / producers);
    const dupCount = Math.max(0, offeredHere - own.length);
    const neighbour = (p + 1) % producers;
    const nStart = shareStart(neighbour);
    const nLen = Math.max(1, shareStart(neighbour + 1) - nStart);
    const dups: number[] = [];
    for (let k = 0; k < dupCount; k++) dups.push(nStart + (k % nLen));
    // Interleave: duplicates spread evenly through the producer's own stream.
    const indices: number[] = [];
    let d = 0;
    for (let k = 0; k < own.length; k++) {
      indices.push(own[k]!);
      while (d < dups.length && d * own.length <= k * dups.length) indices.push(dups[d++]!);
    }
    while (d < dups.length) indices.push(dups[d++]!);
    plans.push({ indices, duplicates: dups.length });
  }
  return { unique, plans };
}
