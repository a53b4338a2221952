// Exact checks on the decimal strings GeckoTerminal sends (up to ~70 digits): comparing them as strings
// keeps the volume filter and validation exact where a Number round trip would not be.

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/** A non-negative plain decimal (`123`, `0.000012`), no sign, exponent, or NaN. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_DECIMAL.test(value);
}

/**
 * Why a decimal's value has no double to stand for it (what the NUMERIC columns and the candles hold), or null:
 * an exponent can take it past the largest double (`1e400` would be Infinity) or below the smallest one, where a
 * value that is not zero becomes 0 (`1e-999`). `text` is decimal-shaped (digits, a point, an exponent).
 */
export function doubleRangeProblem(text: string): string | null {
  let e = text.indexOf('e');
  if (e === -1) e = text.indexOf('E');
  // Without an exponent, fewer than 309 characters cannot pass 1.8e308 nor get below 5e-324.
  if (e === -1 && text.length < 309) return null;
  const n = Number(text);
  if (!Number.isFinite(n)) return 'is too large for a double (it would be stored as Infinity)';
  if (n === 0 && /[1-9]/.test(e === -1 ? text : text.slice(0, e)))
    return 'is not zero but too small for a double (it would be stored as 0)';
  return null;
}

function normalize(value: string): { int: string; frac: string } {
  const [rawInt = '0', rawFrac = ''] = value.split('.');
  return { int: rawInt.replace(/^0+(?=\d)/, ''), frac: rawFrac.replace(/0+$/, '') };
}

/** Sign of `a - b` for two non-negative decimal strings. */
export function compareDecimalStrings(a: string, b: string): -1 | 0 | 1 {
  if (!isDecimalString(a) || !isDecimalString(b)) throw new RangeError(`not plain decimals: ${a} vs ${b}`);
  const x = normalize(a);
  const y = normalize(b);
  if (x.int.length !== y.int.length) return x.int.length < y.int.length ? -1 : 1;
  if (x.int !== y.int) return x.int < y.int ? -1 : 1;
  const len = Math.max(x.frac.length, y.frac.length);
  const fx = x.frac.padEnd(len, '0');
  const fy = y.frac.padEnd(len, '0');
  if (fx === fy) return 0;
  return fx < fy ? -1 : 1;
}

/** A query-string form of a caller's threshold; numbers go through toString only when that is plain. */
export function decimalFromInput(value: number | string): string | undefined {
  if (typeof value === 'string') return isDecimalString(value) ? value : undefined;
  if (!Number.isFinite(value) || value < 0) return undefined;
  const text = String(value);
  return isDecimalString(text) ? text : undefined;
}
