// A pool's trade rate as the pools endpoints' own counters tell it (`attributes.transactions`: buys and sells in
// the last 5 min … 24 h), before any of its trades were polled: the adaptive schedule's prior.

import type { PoolRecord } from '../protocol/records.ts';

/** The counters' windows, shortest first, with their length in seconds. */
const WINDOWS = [
  ['m5', 300],
  ['m15', 900],
  ['m30', 1800],
  ['h1', 3600],
  ['h6', 21_600],
  ['h24', 86_400],
] as const;
export type CounterWindowName = (typeof WINDOWS)[number][0];
/** Trades (buys + sells) per window a pool's counters gave. */
export type TransactionCounts = Partial<Record<CounterWindowName, number>>;

/** The shortest window with this many trades gives the rate (fewer are too noisy; longer windows lag a change). */
export const PRIOR_MIN_TRADES = 30;
/** A window is never taken to be shorter than this, however young the pool. */
const MIN_WINDOW_S = 60;

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Buys + sells per window of a `transactions` object (counts as numbers or numeric strings); a window without a
 * readable count of either is left out. Undefined when none is readable.
 */
export function transactionCounts(transactions: unknown): TransactionCounts | undefined {
  if (typeof transactions !== 'object' || transactions === null) return undefined;
  const windows = transactions as Record<string, unknown>;
  const out: TransactionCounts = {};
  let any = false;
  for (const [name] of WINDOWS) {
    const w = windows[name];
    if (typeof w !== 'object' || w === null) continue;
    const { buys, sells } = w as { buys?: unknown; sells?: unknown };
    const b = count(buys);
    const s = count(sells);
    if (b === undefined || s === undefined) continue;
    out[name] = b + s;
    any = true;
  }
  return any ? out : undefined;
}

/** The `transactions` of a pool record's metadata JSON (null when it has none or cannot be read). */
export function metadataTransactions(metadataJson: string | null): unknown {
  if (!metadataJson) return null;
  try {
    return (JSON.parse(metadataJson) as { transactions?: unknown }).transactions ?? null;
  } catch {
    return null;
  }
}

/**
 * Trades/s from a `transactions` object: buys + sells of the shortest window with PRIOR_MIN_TRADES, else of the
 * longest one given, over its length (or the pool's age when it is younger: its windows then all hold the same
 * trades). Undefined without counters, or when all are zero (the API may have none: nothing is known).
 */
export function counterRate(transactions: unknown, ageS?: number): number | undefined {
  const counts = transactionCounts(transactions);
  if (!counts) return undefined;
  let chosen: { trades: number; seconds: number } | undefined;
  for (const [name, seconds] of WINDOWS) {
    const trades = counts[name];
    if (trades === undefined) continue;
    const span =
      ageS !== undefined && Number.isFinite(ageS) ? Math.min(seconds, Math.max(MIN_WINDOW_S, ageS)) : seconds;
    chosen = { trades, seconds: span };
    if (trades >= PRIOR_MIN_TRADES) break;
  }
  return chosen && chosen.trades > 0 ? chosen.trades / chosen.seconds : undefined;
}

/** Each pool's counter rate (by address) from parsed pools records, at `nowMs`; pools without counters are left out. */
export function counterRates(pools: readonly PoolRecord[], nowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pools) {
    const transactions = metadataTransactions(p.metadataJson);
    const created = p.createdAt ? Date.parse(p.createdAt) : Number.NaN;
    const rate = counterRate(transactions, Number.isFinite(created) ? (nowMs - created) / 1000 : undefined);
    if (rate !== undefined) out.set(p.address, rate);
  }
  return out;
}
