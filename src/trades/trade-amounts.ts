// The four amounts of a trade as numbers (what the NUMERIC columns hold, Number() of the exact text): computed by
// the sender, next to the packed batch, and checked by the writer before it binds them instead of parsing.

import { TRADE_FIELDS } from './trade-validation.ts';

/** Numbers per row: fromTokenAmount, toTokenAmount, priceUsd, volumeUsd. */
export const AMOUNTS_PER_ROW = 4;
/** Where the amounts sit in a row's values (TradeRow order). */
const FIRST_AMOUNT = 5;

/** Number() of each trade's four amounts, AMOUNTS_PER_ROW per row (NaN where an amount is not a string). */
export function amountNumbers(
  trades: readonly { fromTokenAmount: unknown; toTokenAmount: unknown; priceUsd: unknown; volumeUsd: unknown }[],
): Float64Array {
  const out = new Float64Array(trades.length * AMOUNTS_PER_ROW);
  for (let i = 0, o = 0; i < trades.length; i++) {
    const t = trades[i]!;
    out[o++] = typeof t.fromTokenAmount === 'string' ? Number(t.fromTokenAmount) : Number.NaN;
    out[o++] = typeof t.toTokenAmount === 'string' ? Number(t.toTokenAmount) : Number.NaN;
    out[o++] = typeof t.priceUsd === 'string' ? Number(t.priceUsd) : Number.NaN;
    out[o++] = typeof t.volumeUsd === 'string' ? Number(t.volumeUsd) : Number.NaN;
  }
  return out;
}

/**
 * Base-10 exponent of a validated plain decimal's first significant digit (`123.4` → 2, `0.0012` → -3), or null
 * when it has none (zero). Exponent notation is not read: its figure then disagrees, and the writer parses.
 */
function leadingExponent(text: string): number | null {
  const dot = text.indexOf('.');
  const intLength = dot === -1 ? text.length : dot;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 48 /* 0 */ || c === 46 /* . */) continue;
    return i < intLength ? intLength - i - 1 : intLength - i;
  }
  return null;
}

/**
 * True when every sender number is a finite, non-negative number of its text's magnitude (the first significant
 * digit in the same decimal place, give or take the one a rounding or log10 can move): a cheap structural check
 * that catches shifted, swapped or garbage numbers. `values` are a batch's validated flat values, every row of it.
 */
export function amountsAgree(values: readonly unknown[], amounts: Float64Array): boolean {
  if (amounts.length * TRADE_FIELDS !== values.length * AMOUNTS_PER_ROW) return false;
  for (let at = FIRST_AMOUNT, a = 0; at < values.length; at += TRADE_FIELDS) {
    for (let k = 0; k < AMOUNTS_PER_ROW; k++, a++) {
      const x = amounts[a]!;
      const e = leadingExponent(values[at + k] as string);
      if (e === null) {
        if (x !== 0) return false;
      } else {
        if (!(x > 0 && x < Number.POSITIVE_INFINITY)) return false;
        const d = Math.floor(Math.log10(x)) - e;
        if (d < -1 || d > 1) return false;
      }
    }
  }
  return true;
}
