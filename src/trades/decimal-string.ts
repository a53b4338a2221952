// Exact checks on the decimal strings GeckoTerminal sends (up to ~70 digits): comparing them as strings
// keeps the volume filter and validation exact where a Number round trip would not be.

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/** A non-negative plain decimal (`123`, `0.000012`), no sign, exponent, or NaN. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_DECIMAL.test(value);
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
