// The simulated market's trade rates, one per pool: `uniform` (every pool alike, the simulator's old behaviour)
// or `skewed`, a heavy-tailed spread like real DEX activity, where a few pools make most of the trades.

import { ConfigError } from '../errors.ts';
import { seededRandom } from './seeded-random.ts';

export type SimMarketKind = 'uniform' | 'skewed';
export const SIM_MARKETS: readonly SimMarketKind[] = ['uniform', 'skewed'];

/** The skewed market's defaults: the spread of issue 23's measurement (24 pools, 60 trades/s down to 0.05). */
export const SKEWED_MARKET_DEFAULTS = Object.freeze({ busiestTradesPerSecond: 60, quietestTradesPerSecond: 0.05 });

/**
 * The skewed market by rank (busiest first): rate(i) = busiest / (i + 1) × c^(i / (n - 1)), with c =
 * quietest × n / busiest. A Zipf head (the i-th busiest pool has about 1/i of the top's trades) bent down by a
 * geometric cut-off so that the last pool makes exactly `quietest`: 60, 25.3, 14.2, 9.0, 6.1, 4.3 … 0.05 for the
 * defaults and 24 pools, where the busiest pool makes 46 % of the trades and the top five 87 %.
 */
export function skewedRates(pools: number, busiest: number, quietest: number): number[] {
  if (!(Number.isFinite(busiest) && busiest > 0))
    throw new ConfigError('tradesPerSecond', busiest, 'the busiest pool needs a rate above 0');
  if (pools === 1) return [busiest];
  const cut = (quietest * pools) / busiest;
  // Past this cut-off the rates would rise again toward the tail: the spread would not be skewed.
  const most = (pools / (pools - 1)) ** (pools - 1);
  if (!(Number.isFinite(quietest) && quietest > 0 && cut <= most))
    throw new ConfigError(
      'minTradesPerSecond',
      quietest,
      `a skewed market of ${pools} pools needs a quietest rate above 0 and at most ${((busiest * most) / pools).toPrecision(3)} (busiest ${busiest})`,
    );
  return Array.from({ length: pools }, (_, i) => (busiest / (i + 1)) * cut ** (i / (pools - 1)));
}

/**
 * Pool index → its rate. In a skewed market the ranks are dealt to the pools in an order drawn from the seed,
 * so the busiest pool is not always the first one listed (nor the first collector's).
 */
export function skewedPoolRates(pools: number, busiest: number, quietest: number, seed: number): number[] {
  const byRank = skewedRates(pools, busiest, quietest);
  const order = Array.from({ length: pools }, (_, i) => i);
  const next = seededRandom(seed ^ 0x5ce3ed);
  for (let i = pools - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.map((rank) => byRank[rank]!);
}

export interface SimRateOptions {
  pools: number;
  market: SimMarketKind;
  /** Uniform: every pool's rate, or one per pool (default 1). Skewed: the busiest pool's (default 60). */
  tradesPerSecond?: number | readonly number[] | undefined;
  /** Skewed: the quietest pool's rate (default 0.05). */
  minTradesPerSecond?: number | undefined;
  seed: number;
}

/** Each pool's base rate, by pool index. */
export function simPoolRates(o: SimRateOptions): number[] {
  if (o.market === 'skewed') {
    if (typeof o.tradesPerSecond === 'object')
      throw new ConfigError('tradesPerSecond', o.tradesPerSecond, 'a skewed market takes one rate, its busiest pool’s');
    return skewedPoolRates(
      o.pools,
      o.tradesPerSecond ?? SKEWED_MARKET_DEFAULTS.busiestTradesPerSecond,
      o.minTradesPerSecond ?? SKEWED_MARKET_DEFAULTS.quietestTradesPerSecond,
      o.seed,
    );
  }
  if (o.market !== 'uniform') throw new ConfigError('market', o.market, `expected one of ${SIM_MARKETS.join(', ')}`);
  const rates = o.tradesPerSecond ?? 1;
  return Array.from({ length: o.pools }, (_, index) =>
    typeof rates === 'number' ? rates : (rates[index] ?? rates[rates.length - 1] ?? 1),
  );
}
