// Exact checks on the decimal strings GeckoTerminal sends (up to ~70 digits): comparing them as strings
// keeps the volume filter and validation exact where a Number round trip would not be.

/** Index after the run of ASCII digits starting at `i`. */
function skipDigits(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/**
 * Length of the `\d+(\.\d+)?` at the start of `s` (0 if none), then, with `exponent`, of an optional
 * `[eE][-+]?\d{1,3}`; -1 if a `.` or an exponent marker is not followed by digits. Scanned by character codes:
 * the writer runs this four times per row, and the equivalent regex was its costliest check.
 */
function decimalLength(s: string, exponent: boolean): number {
  let i = skipDigits(s, 0);
  if (i === 0) return 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    const j = skipDigits(s, i + 1);
    if (j === i + 1) return -1;
    i = j;
  }
  const e = s.charCodeAt(i);
  if (!exponent || (e !== 101 && e !== 69) /* e E */) return i;
  let k = i + 1;
  const sign = s.charCodeAt(k);
  if (sign === 43 || sign === 45 /* + - */) k++;
  const end = skipDigits(s, k);
  return end - k >= 1 && end - k <= 3 ? end : -1;
}

/** A non-negative plain decimal (`123`, `0.000012`), no sign, exponent, or NaN. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && decimalLength(value, false) === value.length;
}

/**
 * What the trades table accepts: a plain decimal as the API sends it, or one with a short exponent (`1.5e-7`),
 * as the old collector exported some values from floats.
 */
export function isStorableDecimal(value: string): boolean {
  return value.length > 0 && decimalLength(value, true) === value.length;
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
